/*
 * The operators' screens (§2.1): an organisation with its containers,
 * billing addresses (§2.3.1), contracts (§2.3.3-§2.3.5) and its first
 * administrator, who holds all four management rights (§2.2.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

/* pairs: attribute, value, ...; NULL values left out, a repeated
 * attribute gathers its values. */
static int add_entry(struct um *um, const char *dn, const char *const *pairs)
{
	LDAPMod m[16], *mods[17];
	char *vals[16][8];
	size_t n = 0, i, k;

	memset(vals, 0, sizeof(vals));
	for (; pairs[0] != NULL; pairs += 2) {
		if (pairs[1] == NULL)
			continue;
		for (i = 0; i < n && strcasecmp(m[i].mod_type, pairs[0]) != 0; i++)
			;
		if (i == n) {
			if (n == 16)
				break;
			m[n] = (LDAPMod){LDAP_MOD_ADD, (char *)pairs[0], {vals[n]}};
			mods[n] = &m[n];
			n++;
		}
		for (k = 0; k < 7 && vals[i][k] != NULL; k++)
			;
		vals[i][k] = (char *)pairs[1];
	}
	mods[n] = NULL;
	return um_ldap_result(um, ldap_add_ext_s(um->ld, dn, mods, NULL, NULL));
}

static int org_create(struct um *um, int argc, char **argv)
{
	static const char *const ous[] = {"users", "billing", "contracts", "delegations"};
	const char *name, *kind, *addr;
	char *dn = NULL, *sub = NULL;
	size_t i;
	int bad = 0, rc;

	name = um_flag(&argc, argv, "--name", &bad);
	kind = um_flag(&argc, argv, "--kind", &bad);
	addr = um_flag(&argc, argv, "--address", &bad);
	if (bad || argc != 1 || name == NULL || kind == NULL)
		return um_usage("org create ORG --name NAME --kind customer|router [--address A]");
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if ((dn = um_org_dn(um, argv[0])) == NULL)
		return UM_EXIT_USAGE;
	{
		const char *pairs[] = {"objectClass",
		                       "organization",
		                       "objectClass",
		                       "umOrganization",
		                       "o",
		                       argv[0],
		                       "displayName",
		                       name,
		                       "umOrgKind",
		                       kind,
		                       "postalAddress",
		                       addr,
		                       NULL,
		                       NULL};

		rc = add_entry(um, dn, pairs);
	}
	for (i = 0; rc == UM_EXIT_OK && i < sizeof(ous) / sizeof(ous[0]); i++) {
		const char *pairs[] = {"objectClass", "organizationalUnit", "ou", ous[i], NULL,
		                       NULL};

		if (asprintf(&sub, "ou=%s,%s", ous[i], dn) < 0)
			break;
		rc = add_entry(um, sub, pairs);
		free(sub);
	}
	free(dn);
	if (rc == UM_EXIT_OK)
		printf("%s: %s\n", um_t(um, T_DONE), argv[0]);
	return rc;
}

static int org_resource(struct um *um, int argc, char **argv, int contract)
{
	const char *name, *kind;
	char *dn = NULL;
	int bad = 0, rc;

	name = um_flag(&argc, argv, "--name", &bad);
	kind = um_flag(&argc, argv, "--kind", &bad);
	if (bad || argc != 2 || (contract ? kind == NULL : name == NULL))
		return um_usage(contract ? "org contract add ORG ID --kind KIND [--name NAME]"
		                         : "org billing add ORG ID --name NAME");
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	dn = um_resource_dn(um, argv[0], contract ? "contract" : "billing", argv[1]);
	if (dn == NULL)
		return UM_EXIT_USAGE;
	if (contract) {
		const char *pairs[] = {
		        "objectClass", "umContract", "umContractId", argv[1], "umContractKind",
		        kind,          "cn",         name,           NULL,    NULL};

		rc = add_entry(um, dn, pairs);
	} else {
		const char *pairs[] = {
		        "objectClass", "umBillingAddress", "umBillingId", argv[1], "cn", name, NULL,
		        NULL};

		rc = add_entry(um, dn, pairs);
	}
	if (rc == UM_EXIT_OK)
		printf("%s: %s\n", um_t(um, T_DONE), argv[1]);
	free(dn);
	return rc;
}

int cmd_org(struct um *um, int argc, char **argv)
{
	/* §2.1: the organisation's first administrator holds every
	 * management right (admins, users, password-recovery, ftp) */
	static const char *const all[] = {"admins", "users", "password-recovery", "ftp", NULL};
	char *uid[] = {"--uid", NULL};

	if (um_is(argc, argv, "create"))
		return org_create(um, argc - 1, argv + 1);
	if (argc >= 2 && um_is(argc, argv, "billing") && strcmp(argv[1], "add") == 0)
		return org_resource(um, argc - 2, argv + 2, 0);
	if (argc >= 2 && um_is(argc, argv, "contract") && strcmp(argv[1], "add") == 0)
		return org_resource(um, argc - 2, argv + 2, 1);
	if (um_is(argc, argv, "first-admin") && argc >= 3) {
		/* ORG USER [flags]: USER becomes --uid USER */
		char **args = calloc((size_t)argc + 2, sizeof(*args));
		int i, rc;

		if (args == NULL)
			return UM_EXIT_USAGE;
		args[0] = uid[0];
		args[1] = argv[2];
		for (i = 3; i < argc; i++)
			args[i - 1] = argv[i];
		free(um->org);
		um->org = strdup(argv[1]);
		rc = user_create(um, argv[1], argc - 1, args, all);
		free(args);
		return rc;
	}
	return um_usage("org create|billing add|contract add|first-admin ... (umctl help)");
}
