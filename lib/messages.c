/*
 * The refusal messages of DESIGN rule 9: one sentence each, in the writer's
 * preferredLanguage (the portal speaks NL FR DE EN, manual §1.2), naming the
 * right, the target and the reason. UTF-8 throughout.
 */
#include <string.h>

#include "rights.h"

#define EN RIGHTS_LANG_EN
#define NL RIGHTS_LANG_NL
#define FR RIGHTS_LANG_FR
#define DE RIGHTS_LANG_DE

static const char *const templates[MSG_COUNT][RIGHTS_LANG_COUNT] = {
        /* rule 1: tenancy */
        [MSG_OTHER_ORG] =
                {
                        [EN] = "you cannot change {user}: it belongs to organisation {org}, not to "
                               "yours",
                        [NL] = "u kunt {user} niet wijzigen: het hoort bij organisatie {org}, niet "
                               "bij de uwe",
                        [FR] = "vous ne pouvez pas modifier {user} : il appartient à "
                               "l'organisation "
                               "{org}, pas à la vôtre",
                        [DE] = "Sie können {user} nicht ändern: es gehört zur Organisation {org}, "
                               "nicht zu Ihrer",
                },
        /* rule 2, §2.1 */
        [MSG_WRITER_INACTIVE] =
                {
                        [EN] = "your account is deactivated, so you cannot change {user}",
                        [NL] = "uw account is gedeactiveerd, dus u kunt {user} niet wijzigen",
                        [FR] = "votre compte est désactivé, vous ne pouvez donc pas modifier "
                               "{user}",
                        [DE] = "Ihr Konto ist deaktiviert, daher können Sie {user} nicht ändern",
                },
        /* rule 2, §2.2.4 */
        [MSG_NEED_MANAGE] =
                {
                        [EN] = "you do not hold the management right \"{right}\", so you cannot "
                               "manage {user}",
                        [NL] = "u hebt het beheerrecht \"{right}\" niet, dus u kunt {user} niet "
                               "beheren",
                        [FR] = "vous ne disposez pas du droit de gestion « {right} », vous ne "
                               "pouvez donc pas gérer {user}",
                        [DE] = "Sie haben das Verwaltungsrecht „{right}“ nicht, daher können Sie "
                               "{user} nicht verwalten",
                },
        /* rules 2 and 7 */
        [MSG_SELF_RIGHTS] =
                {
                        [EN] = "you cannot change your own {right}",
                        [NL] = "u kunt {right} van uw eigen account niet wijzigen",
                        [FR] = "vous ne pouvez pas modifier {right} de votre propre compte",
                        [DE] = "Sie können {right} Ihres eigenen Kontos nicht ändern",
                },
        /* rule 3, §2.3: "autant ou moins de droits que vous" */
        [MSG_NOT_HELD] =
                {
                        [EN] = "you do not hold {app} right \"{right}\" on {org}, so you cannot "
                               "give it to or take it from {user}",
                        [NL] = "u hebt het {app}-recht \"{right}\" op {org} niet, dus u kunt het "
                               "niet toekennen aan of afnemen van {user}",
                        [FR] = "vous ne disposez pas du droit {app} « {right} » sur {org}, vous ne "
                               "pouvez donc ni l'accorder à {user} ni le lui retirer",
                        [DE] = "Sie haben das {app}-Recht „{right}“ für {org} nicht, daher können "
                               "Sie es {user} weder geben noch entziehen",
                },
        /* rule 3, §2.2.4 note *** (greyed-out rights) */
        [MSG_NOT_HELD_MANAGE] =
                {
                        [EN] = "you do not hold the management right \"{right}\", so you cannot "
                               "give it to or take it from {user}",
                        [NL] = "u hebt het beheerrecht \"{right}\" niet, dus u kunt het niet "
                               "toekennen aan of afnemen van {user}",
                        [FR] = "vous ne disposez pas du droit de gestion « {right} », vous ne "
                               "pouvez donc ni l'accorder à {user} ni le lui retirer",
                        [DE] = "Sie haben das Verwaltungsrecht „{right}“ nicht, daher können Sie "
                               "es {user} weder geben noch entziehen",
                },
        /* rule 4: {reason} is messages_violation() */
        [MSG_INVALID_VALUE] =
                {
                        [EN] = "{app} right \"{right}\" for {user} is refused: {reason}",
                        [NL] = "het {app}-recht \"{right}\" voor {user} wordt geweigerd: {reason}",
                        [FR] = "le droit {app} « {right} » pour {user} est refusé : {reason}",
                        [DE] = "Das {app}-Recht „{right}“ für {user} wird abgelehnt: {reason}",
                },
        /* rule 4, §2.2.3 */
        [MSG_BAD_LANGUAGE] =
                {
                        [EN] = "the language \"{right}\" of {user} is not one of nl, fr, de, en",
                        [NL] = "de taal \"{right}\" van {user} is geen van nl, fr, de, en",
                        [FR] = "la langue « {right} » de {user} n'est pas l'une de nl, fr, de, en",
                        [DE] = "Die Sprache „{right}“ von {user} ist keine von nl, fr, de, en",
                },
        [MSG_BAD_MAIL] =
                {
                        [EN] = "the mail address \"{right}\" of {user} is not valid",
                        [NL] = "het e-mailadres \"{right}\" van {user} is ongeldig",
                        [FR] = "l'adresse e-mail « {right} » de {user} n'est pas valide",
                        [DE] = "Die E-Mail-Adresse „{right}“ von {user} ist ungültig",
                },
        [MSG_MISSING_FIELD] =
                {
                        [EN] = "the field {right} of {user} is required",
                        [NL] = "het veld {right} van {user} is verplicht",
                        [FR] = "le champ {right} de {user} est obligatoire",
                        [DE] = "Das Feld {right} von {user} ist ein Pflichtfeld",
                },
        [MSG_BAD_FIELD] =
                {
                        [EN] = "the value \"{right}\" is not allowed for {user}",
                        [NL] = "de waarde \"{right}\" is niet toegestaan voor {user}",
                        [FR] = "la valeur « {right} » n'est pas autorisée pour {user}",
                        [DE] = "Der Wert „{right}“ ist für {user} nicht zulässig",
                },
        /* rule 5, §3.1 */
        [MSG_NO_DELETE] =
                {
                        [EN] = "users are never deleted: deactivate {user} instead (umStatus: "
                               "deactivated)",
                        [NL] = "gebruikers worden nooit verwijderd: deactiveer {user} in plaats "
                               "daarvan (umStatus: deactivated)",
                        [FR] = "les utilisateurs ne sont jamais supprimés : désactivez plutôt "
                               "{user} (umStatus: deactivated)",
                        [DE] = "Benutzer werden nie gelöscht: deaktivieren Sie stattdessen {user} "
                               "(umStatus: deactivated)",
                },
        [MSG_DEACTIVATED_BIND] =
                {
                        [EN] = "the account {user} is deactivated",
                        [NL] = "het account {user} is gedeactiveerd",
                        [FR] = "le compte {user} est désactivé",
                        [DE] = "Das Konto {user} ist deaktiviert",
                },
        /* rule 5, §3.2 */
        [MSG_TEMPORARY_PASSWORD] =
                {
                        [EN] = "the password of {user} is temporary and must be changed first",
                        [NL] = "het wachtwoord van {user} is tijdelijk en moet eerst worden "
                               "gewijzigd",
                        [FR] = "le mot de passe de {user} est temporaire et doit d'abord être "
                               "changé",
                        [DE] = "Das Passwort von {user} ist vorläufig und muss zuerst geändert "
                               "werden",
                },
        /* rule 6 */
        [MSG_PROTECTED] =
                {
                        [EN] = "{user} is managed by the portal operator only",
                        [NL] = "{user} wordt alleen door de beheerder van het portaal beheerd",
                        [FR] = "{user} est géré uniquement par l'exploitant du portail",
                        [DE] = "{user} wird ausschließlich vom Portalbetreiber verwaltet",
                },
        [MSG_NO_MOVE] =
                {
                        [EN] = "{user} cannot be moved to another place or organisation",
                        [NL] = "{user} kan niet naar een andere plaats of organisatie worden "
                               "verplaatst",
                        [FR] = "{user} ne peut pas être déplacé vers un autre emplacement ou une "
                               "autre organisation",
                        [DE] = "{user} kann nicht an eine andere Stelle oder in eine andere "
                               "Organisation verschoben werden",
                },
        [MSG_UID_IMMUTABLE] =
                {
                        [EN] = "the username of {user} cannot be changed",
                        [NL] = "de gebruikersnaam van {user} kan niet worden gewijzigd",
                        [FR] = "le nom d'utilisateur de {user} ne peut pas être modifié",
                        [DE] = "Der Benutzername von {user} kann nicht geändert werden",
                },
        /* rule 8, §2.3.1 sous-traitants */
        [MSG_NOT_DELEGABLE] =
                {
                        [EN] = "{app} cannot be delegated to a router",
                        [NL] = "{app} kan niet aan een router worden gedelegeerd",
                        [FR] = "{app} ne peut pas être délégué à un routeur",
                        [DE] = "{app} kann nicht an einen Router delegiert werden",
                },
        [MSG_BAD_GRANT_NAME] =
                {
                        [EN] = "the grant {user} must be named cn=<application>@<organisation> and "
                               "match its umApplication and umScope",
                        [NL] = "de toekenning {user} moet cn=<applicatie>@<organisatie> heten en "
                               "overeenkomen met haar umApplication en umScope",
                        [FR] = "l'attribution {user} doit s'appeler "
                               "cn=<application>@<organisation> "
                               "et correspondre à ses umApplication et umScope",
                        [DE] = "Die Berechtigung {user} muss cn=<Anwendung>@<Organisation> heißen "
                               "und zu ihren Attributen umApplication und umScope passen",
                },
        [MSG_ANONYMOUS] =
                {
                        [EN] = "you must log in to change {user}",
                        [NL] = "u moet zich aanmelden om {user} te wijzigen",
                        [FR] = "vous devez vous connecter pour modifier {user}",
                        [DE] = "Sie müssen sich anmelden, um {user} zu ändern",
                },
        [MSG_NOT_ADMIN] =
                {
                        [EN] = "you are not an administrator, so you cannot change {user}",
                        [NL] = "u bent geen beheerder, dus u kunt {user} niet wijzigen",
                        [FR] = "vous n'êtes pas administrateur, vous ne pouvez donc pas modifier "
                               "{user}",
                        [DE] = "Sie sind kein Administrator, daher können Sie {user} nicht ändern",
                },
        [MSG_RESERVED_ATTR] =
                {
                        [EN] = "the attribute {right} of {user} is managed by the portal itself "
                               "and cannot be changed",
                        [NL] = "het attribuut {right} van {user} wordt door het portaal zelf "
                               "beheerd en kan niet worden gewijzigd",
                        [FR] = "l'attribut {right} de {user} est géré par le portail lui-même "
                               "et ne peut pas être modifié",
                        [DE] = "das Attribut {right} von {user} wird vom Portal selbst verwaltet "
                               "und kann nicht geändert werden",
                },
        [MSG_PASSWORD_SHORT] =
                {
                        [EN] = "the password of {user} must have at least {right} characters",
                        [NL] = "het wachtwoord van {user} moet minstens {right} tekens bevatten",
                        [FR] = "le mot de passe de {user} doit comporter au minimum {right} "
                               "caractères",
                        [DE] = "das Passwort von {user} muss mindestens {right} Zeichen haben",
                },
        [MSG_PASSWORD_NO_UPPER] =
                {
                        [EN] = "the password of {user} must contain at least one upper-case "
                               "letter",
                        [NL] = "het wachtwoord van {user} moet minstens één hoofdletter bevatten",
                        [FR] = "le mot de passe de {user} doit contenir au moins une majuscule",
                        [DE] = "das Passwort von {user} muss mindestens einen Großbuchstaben "
                               "enthalten",
                },
        [MSG_PASSWORD_NO_LOWER] =
                {
                        [EN] = "the password of {user} must contain at least one lower-case "
                               "letter",
                        [NL] = "het wachtwoord van {user} moet minstens één kleine letter "
                               "bevatten",
                        [FR] = "le mot de passe de {user} doit contenir au moins une minuscule",
                        [DE] = "das Passwort von {user} muss mindestens einen Kleinbuchstaben "
                               "enthalten",
                },
        [MSG_PASSWORD_HASHED] =
                {
                        [EN] = "the password of {user} must be given in clear so that the "
                               "password policy can be checked",
                        [NL] = "het wachtwoord van {user} moet onversleuteld worden opgegeven "
                               "zodat het wachtwoordbeleid kan worden gecontroleerd",
                        [FR] = "le mot de passe de {user} doit être donné en clair pour que la "
                               "politique de mots de passe puisse être vérifiée",
                        [DE] = "das Passwort von {user} muss im Klartext angegeben werden, damit "
                               "die Passwortrichtlinie geprüft werden kann",
                },
        [MSG_RECOVERY_ANSWER] =
                {
                        [EN] = "if this username or mail address belongs to a portal account, a "
                               "mail "
                               "is on its way to the account's address",
                        [NL] = "als deze gebruikersnaam of dit e-mailadres bij een portaalaccount "
                               "hoort, is er een e-mail onderweg naar het adres van dat account",
                        [FR] = "si ce nom d'utilisateur ou cette adresse e-mail correspond à un "
                               "compte "
                               "du portail, un e-mail est en route vers l'adresse de ce compte",
                        [DE] = "wenn dieser Benutzername oder diese E-Mail-Adresse zu einem "
                               "Portalkonto gehört, ist eine E-Mail an die Adresse dieses Kontos "
                               "unterwegs",
                },
        [MSG_TOKEN_INVALID] =
                {
                        [EN] = "this password reset link for {user} is not valid or has expired: "
                               "ask "
                               "for a new one",
                        [NL] = "deze link om het wachtwoord van {user} opnieuw in te stellen is "
                               "ongeldig of verlopen: vraag een nieuwe aan",
                        [FR] = "ce lien de réinitialisation du mot de passe de {user} n'est pas "
                               "valable ou a expiré : demandez-en un nouveau",
                        [DE] = "dieser Link zum Zurücksetzen des Passworts von {user} ist ungültig "
                               "oder abgelaufen: fordern Sie einen neuen an",
                },
        [MSG_MAIL_RESET_SUBJECT] =
                {
                        [EN] = "Your portal password ({user})",
                        [NL] = "Uw wachtwoord voor het portaal ({user})",
                        [FR] = "Votre mot de passe du portail ({user})",
                        [DE] = "Ihr Passwort für das Portal ({user})",
                },
        [MSG_MAIL_RESET_BODY] =
                {
                        [EN] = "Hello,\n\nsomeone, probably you, asked to reset the password of "
                               "the "
                               "portal account {user} ({org}).\nTo choose a new password, open "
                               "this "
                               "link before {reason} (UTC); it works once:\n\n{right}\n\nIf you "
                               "did "
                               "not ask for it, ignore this mail: your password does not change.\n",
                        [NL] = "Hallo,\n\niemand, waarschijnlijk u, heeft gevraagd het wachtwoord "
                               "van "
                               "het portaalaccount {user} ({org}) opnieuw in te stellen.\nOpen "
                               "deze "
                               "link vóór {reason} (UTC) om een nieuw wachtwoord te kiezen; hij "
                               "werkt "
                               "één keer:\n\n{right}\n\nHebt u dit niet gevraagd, negeer dan deze "
                               "e-mail: uw wachtwoord verandert niet.\n",
                        [FR] = "Bonjour,\n\nquelqu'un, probablement vous, a demandé la "
                               "réinitialisation du mot de passe du compte {user} ({org}) sur le "
                               "portail.\nPour choisir un nouveau mot de passe, ouvrez ce lien "
                               "avant "
                               "le {reason} (UTC) ; il ne fonctionne qu'une fois "
                               ":\n\n{right}\n\nSi "
                               "vous n'avez rien demandé, ignorez cet e-mail : votre mot de passe "
                               "ne "
                               "change pas.\n",
                        [DE] = "Guten Tag,\n\njemand, wahrscheinlich Sie, hat das Zurücksetzen des "
                               "Passworts des Portalkontos {user} ({org}) angefordert.\nUm ein "
                               "neues "
                               "Passwort zu wählen, öffnen Sie diesen Link vor dem {reason} (UTC); "
                               "er "
                               "funktioniert nur einmal:\n\n{right}\n\nWenn Sie nichts angefordert "
                               "haben, ignorieren Sie diese E-Mail: Ihr Passwort ändert sich "
                               "nicht.\n",
                },
        [MSG_MAIL_ADMINS_SUBJECT] =
                {
                        [EN] = "Your portal password ({user}): contact your administrator",
                        [NL] = "Uw wachtwoord voor het portaal ({user}): neem contact op met uw "
                               "beheerder",
                        [FR] = "Votre mot de passe du portail ({user}) : contactez votre "
                               "administrateur",
                        [DE] = "Ihr Passwort für das Portal ({user}): wenden Sie sich an Ihren "
                               "Administrator",
                },
        [MSG_MAIL_ADMINS_BODY] =
                {
                        [EN] = "Hello,\n\nsomeone asked to reset the password of the portal "
                               "account "
                               "{user} ({org}).\nYour administrator has not allowed you to change "
                               "it "
                               "yourself: please contact one of your "
                               "administrators:\n\n{right}\n\nIf "
                               "you cannot reach them, contact the portal's customer service.\n",
                        [NL] = "Hallo,\n\niemand heeft gevraagd het wachtwoord van het "
                               "portaalaccount "
                               "{user} ({org}) opnieuw in te stellen.\nUw beheerder heeft u niet "
                               "toegestaan het zelf te wijzigen: neem contact op met een van uw "
                               "beheerders:\n\n{right}\n\nAls u hen niet kunt bereiken, neem dan "
                               "contact op met de klantendienst van het portaal.\n",
                        [FR] = "Bonjour,\n\nquelqu'un a demandé la réinitialisation du mot de "
                               "passe du "
                               "compte {user} ({org}) sur le portail.\nVotre administrateur ne "
                               "vous a "
                               "pas attribué le droit de le changer vous-même : veuillez contacter "
                               "l'un de vos administrateurs :\n\n{right}\n\nSi vous n'arrivez pas "
                               "à "
                               "les joindre, contactez le service clients du portail.\n",
                        [DE] = "Guten Tag,\n\njemand hat das Zurücksetzen des Passworts des "
                               "Portalkontos {user} ({org}) angefordert.\nIhr Administrator hat "
                               "Ihnen "
                               "nicht erlaubt, es selbst zu ändern: Bitte wenden Sie sich an einen "
                               "Ihrer Administratoren:\n\n{right}\n\nWenn Sie sie nicht erreichen, "
                               "wenden Sie sich an den Kundendienst des Portals.\n",
                },
        [MSG_MAIL_USERNAMES_SUBJECT] =
                {
                        [EN] = "Your portal usernames",
                        [NL] = "Uw gebruikersnamen voor het portaal",
                        [FR] = "Vos noms d'utilisateur du portail",
                        [DE] = "Ihre Benutzernamen für das Portal",
                },
        [MSG_MAIL_USERNAMES_BODY] =
                {
                        [EN] = "Hello,\n\nthese portal accounts use the address "
                               "{user}:\n\n{right}\n\nA separate mail tells, for each of them, how "
                               "to "
                               "reset its password.\n",
                        [NL] = "Hallo,\n\ndeze portaalaccounts gebruiken het adres "
                               "{user}:\n\n{right}\n\nEen aparte e-mail vertelt voor elk ervan hoe "
                               "u "
                               "het wachtwoord opnieuw instelt.\n",
                        [FR] = "Bonjour,\n\nces comptes du portail utilisent l'adresse {user} "
                               ":\n\n{right}\n\nUn e-mail séparé indique, pour chacun d'eux, "
                               "comment "
                               "réinitialiser son mot de passe.\n",
                        [DE] = "Guten Tag,\n\ndiese Portalkonten verwenden die Adresse "
                               "{user}:\n\n{right}\n\nEine eigene E-Mail erklärt für jedes von "
                               "ihnen, "
                               "wie Sie sein Passwort zurücksetzen.\n",
                },
        /* rule 0: attribute options ("umManage;lang-en") are matched by
         * filters on the bare name, so they are refused everywhere */
        [MSG_ATTR_OPTION] =
                {
                        [EN] = "{right} cannot be written on {user}: attribute options are not "
                               "accepted in the portal",
                        [NL] = "{right} kan niet op {user} worden geschreven: attribuutopties "
                               "worden in het portaal niet aanvaard",
                        [FR] = "{right} ne peut pas être écrit sur {user} : les options "
                               "d'attribut ne sont pas acceptées dans le portail",
                        [DE] = "{right} kann nicht auf {user} geschrieben werden: "
                               "Attributoptionen werden im Portal nicht akzeptiert",
                },
        [MSG_SHAPE_CLASS] =
                {
                        [EN] = "{user} cannot have the object class {right}: it is not one of "
                               "the classes of this kind of portal entry",
                        [NL] = "{user} kan de objectklasse {right} niet hebben: ze hoort niet "
                               "bij dit soort portaalitem",
                        [FR] = "{user} ne peut pas avoir la classe d'objet {right} : elle ne "
                               "fait pas partie de ce type d'entrée du portail",
                        [DE] = "{user} kann die Objektklasse {right} nicht haben: sie gehört "
                               "nicht zu dieser Art von Portaleintrag",
                },
        [MSG_SHAPE_ATTR] =
                {
                        [EN] = "{right} is not an attribute of {user}'s kind of portal entry, "
                               "so it cannot be written",
                        [NL] = "{right} is geen attribuut van het soort portaalitem van {user}, "
                               "dus het kan niet worden geschreven",
                        [FR] = "{right} n'est pas un attribut de ce type d'entrée du portail "
                               "({user}), il ne peut donc pas être écrit",
                        [DE] = "{right} ist kein Attribut dieser Art von Portaleintrag ({user}) "
                               "und kann daher nicht geschrieben werden",
                },
        [MSG_CONTROL] =
                {
                        [EN] = "the {right} control is reserved to the portal's operators, so "
                               "you cannot use it to change {user}",
                        [NL] = "de besturing {right} is voorbehouden aan de operatoren van het "
                               "portaal, dus u kunt ze niet gebruiken om {user} te wijzigen",
                        [FR] = "le contrôle {right} est réservé aux opérateurs du portail, vous "
                               "ne pouvez donc pas l'utiliser pour modifier {user}",
                        [DE] = "die Steuerung {right} ist den Betreibern des Portals "
                               "vorbehalten, daher können Sie damit {user} nicht ändern",
                },
        [MSG_NO_SHAPE] =
                {
                        [EN] = "{user} is not a place for an entry in the portal",
                        [NL] = "{user} is geen plaats voor een item in het portaal",
                        [FR] = "{user} n'est pas un emplacement d'entrée du portail",
                        [DE] = "{user} ist kein Ort für einen Eintrag im Portal",
                },
        [MSG_UID_TAKEN] =
                {
                        [EN] = "the username {right} is already taken in the portal: choose "
                               "another one",
                        [NL] = "de gebruikersnaam {right} is al in gebruik in het portaal: kies "
                               "een andere",
                        [FR] = "le nom d'utilisateur {right} est déjà utilisé dans le portail : "
                               "choisissez-en un autre",
                        [DE] = "der Benutzername {right} ist im Portal bereits vergeben: wählen "
                               "Sie einen anderen",
                },
        [MSG_WRONG_PASSWORD] =
                {
                        [EN] = "the current password you gave is not correct, so the password "
                               "of {user} was not changed",
                        [NL] = "het huidige wachtwoord dat u opgaf is niet juist, dus het "
                               "wachtwoord van {user} werd niet gewijzigd",
                        [FR] = "le mot de passe actuel que vous avez donné n'est pas correct, "
                               "le mot de passe de {user} n'a donc pas été modifié",
                        [DE] = "das angegebene aktuelle Passwort ist nicht korrekt, daher wurde "
                               "das Passwort von {user} nicht geändert",
                },
        [MSG_NEED_OLD_PASSWORD] =
                {
                        [EN] = "to change the password of {user}, give the current password "
                               "as well as the new one",
                        [NL] = "om het wachtwoord van {user} te wijzigen, geeft u het huidige "
                               "wachtwoord samen met het nieuwe op",
                        [FR] = "pour modifier le mot de passe de {user}, donnez le mot de passe "
                               "actuel en plus du nouveau",
                        [DE] = "um das Passwort von {user} zu ändern, geben Sie das aktuelle "
                               "Passwort zusammen mit dem neuen an",
                },
};

#define V_COUNT (RIGHTS_V_EMPTY + 1)

static const char *const reasons[V_COUNT][RIGHTS_LANG_COUNT] = {
        [RIGHTS_V_NONE] =
                {
                        [EN] = "nothing is wrong with it",
                        [NL] = "er is niets mis mee",
                        [FR] = "rien ne s'y oppose",
                        [DE] = "daran ist nichts auszusetzen",
                },
        [RIGHTS_V_UNKNOWN_APP] =
                {
                        [EN] = "this application is not in the catalogue",
                        [NL] = "deze applicatie staat niet in de catalogus",
                        [FR] = "cette application ne figure pas dans le catalogue",
                        [DE] = "diese Anwendung steht nicht im Katalog",
                },
        [RIGHTS_V_MALFORMED] =
                {
                        [EN] = "a right must be written dimension:value",
                        [NL] = "een recht moet geschreven worden als dimensie:waarde",
                        [FR] = "un droit doit s'écrire dimension:valeur",
                        [DE] = "ein Recht muss als Dimension:Wert geschrieben werden",
                },
        [RIGHTS_V_UNKNOWN_DIM] =
                {
                        [EN] = "the application has no such kind of right",
                        [NL] = "de applicatie kent dit soort recht niet",
                        [FR] = "l'application ne connaît pas ce type de droit",
                        [DE] = "die Anwendung kennt diese Art von Recht nicht",
                },
        [RIGHTS_V_UNKNOWN_VALUE] =
                {
                        [EN] = "this value is not in the application's list",
                        [NL] = "deze waarde staat niet in de lijst van de applicatie",
                        [FR] = "cette valeur ne figure pas dans la liste de l'application",
                        [DE] = "dieser Wert steht nicht in der Liste der Anwendung",
                },
        [RIGHTS_V_NO_SUCH_BILLING] =
                {
                        [EN] = "no such billing address in this organisation",
                        [NL] = "dit facturatieadres bestaat niet in deze organisatie",
                        [FR] = "cette adresse de facturation n'existe pas dans cette organisation",
                        [DE] = "diese Rechnungsadresse gibt es in dieser Organisation nicht",
                },
        [RIGHTS_V_NO_SUCH_CONTRACT] =
                {
                        [EN] = "no such contract in this organisation",
                        [NL] = "dit contract bestaat niet in deze organisatie",
                        [FR] = "ce contrat n'existe pas dans cette organisation",
                        [DE] = "diesen Vertrag gibt es in dieser Organisation nicht",
                },
        /* §2.3.3: Collect & Stamp takes only CS Master contracts */
        [RIGHTS_V_WRONG_KIND] =
                {
                        [EN] = "this contract is of a kind the application does not accept",
                        [NL] = "dit contract is van een soort die de applicatie niet aanvaardt",
                        [FR] = "ce contrat est d'un type que l'application n'accepte pas",
                        [DE] = "dieser Vertrag ist von einer Art, die die Anwendung nicht annimmt",
                },
        /* §2.3.1: Senders Management, conventional routers only */
        [RIGHTS_V_ROUTER_ONLY] =
                {
                        [EN] = "this right is reserved to router organisations",
                        [NL] = "dit recht is voorbehouden aan routerorganisaties",
                        [FR] = "ce droit est réservé aux organisations de routage",
                        [DE] = "dieses Recht ist Router-Organisationen vorbehalten",
                },
        [RIGHTS_V_DUPLICATE] =
                {
                        [EN] = "the same right is given twice",
                        [NL] = "hetzelfde recht wordt twee keer toegekend",
                        [FR] = "le même droit est accordé deux fois",
                        [DE] = "dasselbe Recht wird zweimal vergeben",
                },
        [RIGHTS_V_PROFILE] =
                {
                        [EN] = "no profile of the access matrix (manual §2.3.5) allows this "
                               "combination",
                        [NL] = "geen enkel profiel van de toegangsmatrix (handleiding §2.3.5) "
                               "staat "
                               "deze combinatie toe",
                        [FR] = "aucun profil de la matrice d'accès (manuel §2.3.5) ne permet cette "
                               "combinaison",
                        [DE] = "kein Profil der Zugriffsmatrix (Handbuch §2.3.5) erlaubt diese "
                               "Kombination",
                },
        [RIGHTS_V_EMPTY] =
                {
                        [EN] = "a grant must hold at least one right",
                        [NL] = "een toekenning moet minstens één recht bevatten",
                        [FR] = "une attribution doit contenir au moins un droit",
                        [DE] = "eine Berechtigung muss mindestens ein Recht enthalten",
                },
};

static rights_lang lang_valid(rights_lang lang)
{
	return ((int)lang < 0 || lang >= RIGHTS_LANG_COUNT) ? RIGHTS_LANG_EN : lang;
}

const char *messages_template(rights_msg id, rights_lang lang)
{
	if ((int)id < 0 || id >= MSG_COUNT)
		return NULL;
	return templates[id][lang_valid(lang)];
}

const char *messages_violation(rights_violation_kind kind, rights_lang lang)
{
	if ((int)kind < 0 || kind >= V_COUNT)
		return NULL;
	return reasons[kind][lang_valid(lang)];
}

/* The text for placeholder `name`, or NULL if it is not one. */

/* Never leave half a UTF-8 character at the end of a truncated text: the
 * message goes into an LDAP diagnosticMessage, which must be UTF-8. */
static size_t utf8_cut(const char *buf, size_t end)
{
	size_t start = end, need;
	unsigned char lead;

	while (start > 0 && ((unsigned char)buf[start - 1] & 0xC0) == 0x80 && end - start < 3)
		start--;
	if (start == 0)
		return end;
	lead = (unsigned char)buf[start - 1];
	if (lead < 0xC0)
		return end;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	return (end - (start - 1) < need) ? start - 1 : end;
}

size_t messages_format(char *buf, size_t size, rights_msg id, rights_lang lang,
                       const rights_msg_args *args)
{
	const char *values[6] = {NULL};
	rights_var vars[6] = {{"writer", {NULL, 0}}, {"user", {NULL, 0}}, {"right", {NULL, 0}},
	                      {"app", {NULL, 0}},    {"org", {NULL, 0}},  {"reason", {NULL, 0}}};
	size_t i, len, end;

	if (args) {
		values[0] = args->writer;
		values[1] = args->user;
		values[2] = args->right;
		values[3] = args->app;
		values[4] = args->org;
		values[5] = args->reason;
	}
	for (i = 0; i < 6; i++) {
		vars[i].value.ptr = values[i] ? values[i] : "?"; /* missing ones render as "?" */
		vars[i].value.len = strlen(vars[i].value.ptr);
	}
	len = text_expand(NULL, buf, buf ? size : 0, messages_template(id, lang), vars, 6, NULL);
	if (buf && size > 0 && len >= size) {
		end = utf8_cut(buf, size - 1); /* never half a character */
		buf[end] = '\0';
	}
	return len;
}
