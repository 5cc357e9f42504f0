/*
 * What umctl prints: its own words in the bound user's language (nl, fr,
 * de, en; the fr ones are the manual's screens), aligned tables or JSON,
 * and the server's refusals exactly as they came (DESIGN rule 9).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umctl.h"

/* en, nl, fr, de: the order of rights_lang */
static const char *const texts[T_COUNT][RIGHTS_LANG_COUNT] = {
        [T_USERNAME] = {"Username", "Gebruikersnaam", "Nom d'utilisateur", "Benutzername"},
        [T_NAME] = {"Name", "Naam", "Nom", "Name"},
        [T_MAIL] = {"E-mail address", "E-mailadres", "Adresse e-mail", "E-Mail-Adresse"},
        [T_CREATED_BY] = {"Created by", "Aangemaakt door", "Créé par", "Erstellt von"},
        [T_ADMIN] = {"Administrator", "Beheerder", "Administrateur", "Administrator"},
        [T_STATUS] = {"Status", "Status", "Statut", "Status"},
        [T_YES] = {"yes", "ja", "oui", "ja"},
        [T_NO] = {"no", "nee", "non", "nein"},
        [T_ACTIVE] = {"active", "actief", "actif", "aktiv"},
        [T_DEACTIVATED] = {"deactivated", "gedeactiveerd", "désactivé", "deaktiviert"},
        [T_APPLICATION] = {"Application", "Applicatie", "Application", "Anwendung"},
        [T_DIMENSION] = {"Dimension", "Dimensie", "Dimension", "Dimension"},
        [T_VALUE] = {"Value", "Waarde", "Valeur", "Wert"},
        [T_LABEL] = {"Label", "Omschrijving", "Libellé", "Bezeichnung"},
        [T_HELD] = {"available", "beschikbaar", "disponible", "verfügbar"},
        [T_GREYED] = {"greyed out", "grijs", "grisé", "ausgegraut"},
        [T_ORGANISATION] = {"Organisation", "Organisatie", "Organisation", "Organisation"},
        [T_KIND] = {"Kind", "Soort", "Type", "Art"},
        [T_ADDRESS] = {"Address", "Adres", "Adresse", "Adresse"},
        [T_RIGHTS] = {"Rights", "Rechten", "Droits", "Rechte"},
        [T_ROUTER] = {"Router", "Router", "Routeur", "Router"},
        [T_LANGUAGE] = {"Language", "Taal", "Langue", "Sprache"},
        [T_MANAGEMENT] = {"User management", "Gebruikersbeheer", "Gestion des utilisateurs",
                          "Benutzerverwaltung"},
        [T_ADDED] = {"added", "toegevoegd", "ajouté", "hinzugefügt"},
        [T_NOTHING_TO_ADD] = {"nothing to add", "niets toe te voegen", "rien à ajouter",
                              "nichts hinzuzufügen"},
        [T_DONE] = {"done", "klaar", "fait", "erledigt"},
        [T_P_PASSWORD] = {"Password", "Wachtwoord", "Mot de passe", "Passwort"},
        [T_P_CURRENT] = {"Current password: ", "Huidig wachtwoord: ", "Mot de passe actuel : ",
                         "Aktuelles Passwort: "},
        [T_P_NEW] = {"New password: ", "Nieuw wachtwoord: ", "Nouveau mot de passe : ",
                     "Neues Passwort: "},
        [T_P_CONFIRM] = {"Confirm the new password: ", "Bevestig het nieuwe wachtwoord: ",
                         "Confirmez le nouveau mot de passe : ", "Neues Passwort bestätigen: "},
        [T_MISMATCH] = {"the two passwords differ", "de twee wachtwoorden verschillen",
                        "les deux mots de passe diffèrent",
                        "die beiden Passwörter stimmen nicht überein"},
        [T_P_UID] = {"Username: ", "Gebruikersnaam: ", "Nom d'utilisateur : ", "Benutzername: "},
        [T_P_GIVEN] = {"First name: ", "Voornaam: ", "Prénom : ", "Vorname: "},
        [T_P_SN] = {"Last name: ", "Achternaam: ", "Nom : ", "Nachname: "},
        [T_P_MAIL] = {"E-mail address: ", "E-mailadres: ", "Adresse e-mail : ", "E-Mail-Adresse: "},
        [T_P_LANG] = {"Language (nl/fr/de/en): ", "Taal (nl/fr/de/en): ", "Langue (nl/fr/de/en) : ",
                      "Sprache (nl/fr/de/en): "},
        [T_P_GENDER] = {"Gender (male/female): ", "Geslacht (male/female): ",
                        "Sexe (male/female) : ", "Geschlecht (male/female): "},
        [T_P_MANAGE] = {"(y/n) ", "(j/n) ", "(o/n) ", "(j/n) "},
        [T_FORGOT_SENT] = {"If the account exists, a mail is on its way.",
                           "Als de account bestaat, is er een e-mail onderweg.",
                           "Si le compte existe, un e-mail est en route.",
                           "Wenn das Konto existiert, ist eine E-Mail unterwegs."},
        [T_PASSWORD_CHANGED] = {"Password changed.", "Wachtwoord gewijzigd.",
                                "Mot de passe modifié.", "Passwort geändert."},
        [T_SCOPE] = {"For", "Voor", "Pour", "Für"},
        [T_FIRST_NAME] = {"First name", "Voornaam", "Prénom", "Vorname"},
        [T_SURNAME] = {"Last name", "Achternaam", "Nom", "Nachname"},
        [T_GENDER] = {"Gender", "Geslacht", "Sexe", "Geschlecht"},
};

const char *um_t(const struct um *um, um_text id)
{
	return texts[id][um ? um->lang : RIGHTS_LANG_EN];
}

int um_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("umctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return UM_EXIT_USAGE;
}

int um_ldap_result(struct um *um, int rc)
{
	char *diag = NULL;

	if (rc == LDAP_SUCCESS)
		return UM_EXIT_OK;
	if (um->ld != NULL)
		ldap_get_option(um->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_LOCAL_ERROR:
	case LDAP_ENCODING_ERROR:
	case LDAP_DECODING_ERROR:
	case LDAP_PARAM_ERROR:
	case LDAP_NO_MEMORY:
		fprintf(stderr, "umctl: %s: %s\n", um->uri ? um->uri : "", ldap_err2string(rc));
		ldap_memfree(diag);
		return UM_EXIT_USAGE;
	default:
		break;
	}
	/* the server's words, as they came (in the bound user's language) */
	if (diag != NULL && *diag != '\0')
		fprintf(stderr, "%s\n", diag);
	else
		fprintf(stderr, "%s\n", ldap_err2string(rc));
	ldap_memfree(diag);
	return UM_EXIT_REFUSED;
}

void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int table_init(struct table *t, size_t ncols, const char **keys, const char **heads)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->keys = keys;
	t->heads = heads;
	return 0;
}

int table_row(struct table *t, const char *const *cells)
{
	char **g;
	size_t i;

	if (t->nrows == t->cap) {
		g = realloc(t->cells, (t->cap ? t->cap * 2 : 16) * t->ncols * sizeof(*g));
		if (g == NULL)
			return -1;
		t->cells = g;
		t->cap = t->cap ? t->cap * 2 : 16;
	}
	for (i = 0; i < t->ncols; i++)
		if ((t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "")) == NULL)
			return -1;
	t->nrows++;
	return 0;
}

/* Display width: code points, not bytes (é is one column). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void table_print(const struct um *um, const struct table *t)
{
	size_t *w = NULL, r, c;
	const char *cell;

	if (um->json) {
		putchar('[');
		for (r = 0; r < t->nrows; r++) {
			fputs(r ? ",\n {" : "{", stdout);
			for (c = 0; c < t->ncols; c++) {
				if (c)
					fputs(", ", stdout);
				json_str(t->keys[c]);
				fputs(": ", stdout);
				json_str(t->cells[r * t->ncols + c]);
			}
			putchar('}');
		}
		fputs("]\n", stdout);
		return;
	}
	w = calloc(t->ncols, sizeof(*w));
	if (w == NULL)
		return;
	for (c = 0; c < t->ncols; c++) {
		w[c] = width(t->heads[c]);
		for (r = 0; r < t->nrows; r++)
			if (width(t->cells[r * t->ncols + c]) > w[c])
				w[c] = width(t->cells[r * t->ncols + c]);
	}
	/* no heading line when no column has one (whoami, user show); no
	 * padding after a row's last non-empty cell */
	for (c = 0; c < t->ncols && *t->heads[c] == '\0'; c++)
		;
	for (r = c == t->ncols ? 1 : 0; r <= t->nrows; r++) {
		size_t last = 0;

		for (c = 0; c < t->ncols; c++)
			if (*(r == 0 ? t->heads[c] : t->cells[(r - 1) * t->ncols + c]) != '\0')
				last = c;
		for (c = 0; c <= last; c++) {
			cell = r == 0 ? t->heads[c] : t->cells[(r - 1) * t->ncols + c];
			if (c == last)
				fputs(cell, stdout);
			else
				printf("%s%*s", cell, (int)(w[c] - width(cell) + 2), "");
		}
		putchar('\n');
	}
	free(w);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
