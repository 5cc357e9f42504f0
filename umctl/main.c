/*
 * umctl(1): options common to every command, help naming each command's
 * manual section, dispatch, exit codes (DESIGN §6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umctl.h"

struct command {
	const char *usage;
	const char *section; /* the manual's (seed/user-management-manual-fr.txt) */
	const char *what;
};

static const struct command commands[] = {
        {"whoami", "§1.3", "who you are: user, organisation, administrator or not"},
        {"passwd", "§3.2", "change your password: current, new, confirmation"},
        {"forgot --user U | --mail M", "§3.3", "forgotten password or username (no login)"},
        {"reset --token T [--dn DN]", "§3.3", "set a new password with the mailed token"},
        {"accounts", "§1.3 Mes comptes", "the organisations you hold rights in"},
        {"users [--deactivated|--all]", "§2.2.2 Mes utilisateurs", "your organisation's users"},
        {"user create [--uid U --given-name G --sn S --mail M --lang L --gender G --manage R...]",
         "§2.2.3, §2.2.4", "create a user (asks what flags do not give)"},
        {"user show USER", "§3.1", "a user's fields and management rights"},
        {"user edit USER [--given-name G --sn S --mail M --lang L --gender G "
         "--add-manage R --remove-manage R]",
         "§3.1", "change a user's fields"},
        {"user deactivate USER | user reactivate USER", "§3.1", "users are never deleted"},
        {"rights show USER [APP]", "§2.3", "a user's rights, with labels"},
        {"rights grant USER APP VALUE... [--scope ORG]", "§2.3.1-§2.3.6",
         "give values (ids or labels)"},
        {"rights revoke USER APP VALUE... [--scope ORG]", "§3.1", "take values away"},
        {"rights offer APP", "§2.2.4 note ***, §2.3", "what you may give; the rest greyed out"},
        {"rights copy-mine USER [APP...]", "§2.3 Copier tous les droits",
         "add what you hold and the user lacks"},
        {"routers", "§2.3.1 Sous-traitants", "the router organisations"},
        {"delegate ROUTER APP VALUE...", "§2.3.1 Sous-traitants", "give rights to a router"},
        {"delegations", "§2.3.1 Sous-traitants", "the rights your organisation gives routers"},
        {"org create ORG --name NAME --kind customer|router [--address A]", "§2.1",
         "operators: a new organisation"},
        {"org billing add ORG ID --name NAME", "§2.3.1", "operators: a billing address"},
        {"org contract add ORG ID --kind KIND", "§2.3.3-§2.3.5", "operators: a contract"},
        {"org first-admin ORG USER [user create flags]", "§2.1",
         "operators: the first administrator, all four management rights"},
};

static int help(FILE *f)
{
	size_t i;

	fputs("usage: umctl [--json] [--password-file FILE] [--org ORG] COMMAND ...\n"
	      "Connection: UM_URI, UM_BINDDN (environment or ~/.umrc); the password from\n"
	      "--password-file, UM_PASSWORD_FILE (mode 0600) or a prompt.\n"
	      "Exit: 0 done, 1 refused by the server, 2 usage or connection error.\n\n"
	      "Commands (manual section):\n",
	      f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n      %s (%s)\n", commands[i].usage, commands[i].what,
		        commands[i].section);
	return f == stdout ? UM_EXIT_OK : UM_EXIT_USAGE;
}

const char *um_flag(int *argc, char **argv, const char *name, int *bad)
{
	size_t n = strlen(name);
	const char *v = NULL;
	int i, take = 0;

	for (i = 0; i < *argc && take == 0; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], name) == 0) {
			if (i + 1 >= *argc) {
				um_usage("%s needs a value", name);
				*bad = 1;
				take = 1;
			} else {
				v = argv[i + 1];
				take = 2;
			}
		} else if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
			v = argv[i] + n + 1;
			take = 1;
		}
	}
	if (take > 0) {
		i--;
		memmove(&argv[i], &argv[i + take], (size_t)(*argc - i - take + 1) * sizeof(*argv));
		*argc -= take;
	}
	return v;
}

int um_switch(int *argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], name) == 0) {
			memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
			(*argc)--;
			return 1;
		}
	}
	return 0;
}

int um_is(int argc, char **argv, const char *word)
{
	return argc > 0 && strcmp(argv[0], word) == 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct um *, int, char **);
	} table[] = {
	        {"whoami", cmd_whoami},
	        {"passwd", cmd_passwd},
	        {"forgot", cmd_forgot},
	        {"reset", cmd_reset},
	        {"accounts", cmd_accounts},
	        {"users", cmd_users},
	        {"user", cmd_user},
	        {"rights", cmd_rights},
	        {"routers", cmd_routers},
	        {"delegate", cmd_delegate},
	        {"delegations", cmd_delegations},
	        {"org", cmd_org},
	};
	struct um um;
	const char *pwfile, *org;
	size_t i;
	int bad = 0, rc;

	memset(&um, 0, sizeof(um));
	argc--;
	argv++;
	um.json = um_switch(&argc, argv, "--json");
	pwfile = um_flag(&argc, argv, "--password-file", &bad);
	org = um_flag(&argc, argv, "--org", &bad);
	if (bad)
		return UM_EXIT_USAGE;
	if (argc == 0)
		return help(stderr);
	if (um_is(argc, argv, "help") || um_is(argc, argv, "--help") || um_is(argc, argv, "-h"))
		return help(stdout);
	um.password_file = pwfile ? strdup(pwfile) : NULL;
	um.org = org ? strdup(org) : NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(argv[0], table[i].name) != 0)
			continue;
		rc = um_config(&um);
		if (rc == UM_EXIT_OK)
			rc = table[i].fn(&um, argc - 1, argv + 1);
		um_close(&um);
		fflush(stdout);
		return rc;
	}
	um_close(&um);
	um_usage("unknown command %s (umctl help)", argv[0]);
	return UM_EXIT_USAGE;
}
