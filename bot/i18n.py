"""User-facing text in FR, EN, NL and DE, and localized dates (Babel).

Every reply repeats absolute dates ("lundi 16 mai 2022") so that a misread date
word is visible to the person who typed it.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from babel.dates import format_date, format_datetime, get_day_names

from bot.model import Lang

_DAY_PATTERN = {
    "fr": "EEEE d MMMM y",
    "en": "EEEE d MMMM y",
    "nl": "EEEE d MMMM y",
    "de": "EEEE, d. MMMM y",
}
_TIME_PATTERN = {
    "fr": "d MMM HH:mm",
    "en": "d MMM HH:mm",
    "nl": "d MMM HH:mm",
    "de": "d. MMM HH:mm",
}


def fmt_day(d: date, lang: Lang) -> str:
    return str(format_date(d, _DAY_PATTERN[lang], locale=lang))


def fmt_time(dt: datetime, lang: Lang, tz: tzinfo) -> str:
    return str(format_datetime(dt.astimezone(tz), _TIME_PATTERN[lang], locale=lang))


def weekday_name(weekday: int, lang: Lang) -> str:
    """0 = Monday."""
    return str(get_day_names("wide", locale=lang)[weekday])


def fmt_period(first: date, last: date | None, lang: Lang) -> str:
    if last is None:
        return t(lang, "period.from", day=fmt_day(first, lang))
    if first == last:
        return t(lang, "period.on", day=fmt_day(first, lang))
    return t(lang, "period.range", first=fmt_day(first, lang), last=fmt_day(last, lang))


def join_list(items: list[str], lang: Lang) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t(lang, 'and')} {items[-1]}"


def t(lang: Lang, msg_key: str, **kw: Any) -> str:
    texts = MESSAGES[msg_key]
    template = texts.get(lang) or texts["en"]
    return template.format(**kw) if kw else template


MESSAGES: dict[str, dict[str, str]] = {
    "and": {"fr": "et", "en": "and", "nl": "en", "de": "und"},
    "period.on": {"fr": "le {day}", "en": "on {day}", "nl": "op {day}", "de": "am {day}"},
    "period.range": {
        "fr": "du {first} au {last}",
        "en": "from {first} to {last}",
        "nl": "van {first} tot en met {last}",
        "de": "vom {first} bis {last}",
    },
    "period.from": {
        "fr": "à partir du {day}, jusqu'à nouvel ordre",
        "en": "from {day} until further notice",
        "nl": "vanaf {day}, tot nader order",
        "de": "ab {day} bis auf Weiteres",
    },
    # --- decisions
    "decision.recorded.title": {
        "fr": "Décision enregistrée",
        "en": "Decision recorded",
        "nl": "Beslissing vastgelegd",
        "de": "Entscheidung erfasst",
    },
    "decision.recorded.many.title": {
        "fr": "{n} décisions enregistrées",
        "en": "{n} decisions recorded",
        "nl": "{n} beslissingen vastgelegd",
        "de": "{n} Entscheidungen erfasst",
    },
    "decision.line": {
        "fr": "n°{no} — {service}, {site} : {status} {period}.",
        "en": "No. {no} — {service}, {site}: {status} {period}.",
        "nl": "nr. {no} — {service}, {site}: {status} {period}.",
        "de": "Nr. {no} — {service}, {site}: {status} {period}.",
    },
    "decision.note": {
        "fr": "Note : {note}",
        "en": "Note: {note}",
        "nl": "Opmerking: {note}",
        "de": "Hinweis: {note}",
    },
    "decision.by": {
        "fr": "Enregistrée par {name} ({roles}) le {when}.",
        "en": "Recorded by {name} ({roles}) on {when}.",
        "nl": "Vastgelegd door {name} ({roles}) op {when}.",
        "de": "Erfasst von {name} ({roles}) am {when}.",
    },
    "decision.supersedes": {
        "fr": "Remplace : {nos}.",
        "en": "Supersedes: {nos}.",
        "nl": "Vervangt: {nos}.",
        "de": "Ersetzt: {nos}.",
    },
    "decision.no_ref": {"fr": "n°{no}", "en": "no. {no}", "nl": "nr. {no}", "de": "Nr. {no}"},
    "revoke.title": {
        "fr": "Décision révoquée",
        "en": "Decision revoked",
        "nl": "Beslissing ingetrokken",
        "de": "Entscheidung widerrufen",
    },
    "revoke.done": {
        "fr": "La décision n°{no} ({service}, {site} : {status} {period}) est révoquée.",
        "en": "Decision no. {no} ({service}, {site}: {status} {period}) is revoked.",
        "nl": "Beslissing nr. {no} ({service}, {site}: {status} {period}) is ingetrokken.",
        "de": "Entscheidung Nr. {no} ({service}, {site}: {status} {period}) ist widerrufen.",
    },
    "revoke.reason": {
        "fr": "Motif : {reason}",
        "en": "Reason: {reason}",
        "nl": "Reden: {reason}",
        "de": "Grund: {reason}",
    },
    "revoke.now": {
        "fr": "Désormais pour {service}, {site}, le {day} : {state}.",
        "en": "Now for {service}, {site}, on {day}: {state}.",
        "nl": "Nu voor {service}, {site}, op {day}: {state}.",
        "de": "Jetzt für {service}, {site}, am {day}: {state}.",
    },
    "revoke.unknown": {
        "fr": "Il n'y a pas de décision n°{no}.",
        "en": "There is no decision no. {no}.",
        "nl": "Er is geen beslissing nr. {no}.",
        "de": "Es gibt keine Entscheidung Nr. {no}.",
    },
    "revoke.already": {
        "fr": "La décision n°{no} est déjà révoquée.",
        "en": "Decision no. {no} is already revoked.",
        "nl": "Beslissing nr. {no} is al ingetrokken.",
        "de": "Entscheidung Nr. {no} ist bereits widerrufen.",
    },
    "revoke.need_number": {
        "fr": "Indiquez le numéro de la décision à révoquer.",
        "en": "Give the number of the decision to revoke.",
        "nl": "Geef het nummer van de beslissing die u wilt intrekken.",
        "de": "Geben Sie die Nummer der zu widerrufenden Entscheidung an.",
    },
    "status.in_force": {
        "fr": "{status} (n°{no})",
        "en": "{status} (no. {no})",
        "nl": "{status} (nr. {no})",
        "de": "{status} (Nr. {no})",
    },
    "status.none": {
        "fr": "aucune décision enregistrée",
        "en": "no decision recorded",
        "nl": "geen beslissing vastgelegd",
        "de": "keine Entscheidung erfasst",
    },
    # --- parse problems
    "parse.no_service": {
        "fr": "Quel service ? Par exemple : radiologie, consultations, prises de sang.",
        "en": "Which service? For example: radiology, consultations, blood sampling.",
        "nl": "Welke dienst? Bijvoorbeeld: radiologie, consultaties, bloedafname.",
        "de": "Welcher Dienst? Zum Beispiel: Radiologie, Sprechstunden, Blutabnahme.",
    },
    "parse.unknown_service": {
        "fr": "Service inconnu : « {text} ».",
        "en": "Unknown service: “{text}”.",
        "nl": "Onbekende dienst: “{text}”.",
        "de": "Unbekannter Dienst: „{text}“.",
    },
    "parse.unknown_site": {
        "fr": "Site inconnu : « {text} ».",
        "en": "Unknown site: “{text}”.",
        "nl": "Onbekende locatie: “{text}”.",
        "de": "Unbekannter Standort: „{text}“.",
    },
    "parse.no_status": {
        "fr": "Quel statut ? {choices}.",
        "en": "Which status? {choices}.",
        "nl": "Welke status? {choices}.",
        "de": "Welcher Status? {choices}.",
    },
    "parse.unknown_status": {
        "fr": "Statut inconnu : « {text} ». Statuts : {choices}.",
        "en": "Unknown status: “{text}”. Statuses: {choices}.",
        "nl": "Onbekende status: “{text}”. Statussen: {choices}.",
        "de": "Unbekannter Status: „{text}“. Status: {choices}.",
    },
    "parse.two_statuses": {
        "fr": "Un seul statut par décision, j'ai lu : {found}.",
        "en": "One status per decision, I read: {found}.",
        "nl": "Eén status per beslissing, ik las: {found}.",
        "de": "Ein Status pro Entscheidung, ich habe gelesen: {found}.",
    },
    "parse.did_you_mean": {
        "fr": "Vouliez-vous dire : {choices} ?",
        "en": "Did you mean: {choices}?",
        "nl": "Bedoelde u: {choices}?",
        "de": "Meinten Sie: {choices}?",
    },
    "parse.known": {
        "fr": "Connus : {choices}.",
        "en": "Known: {choices}.",
        "nl": "Bekend: {choices}.",
        "de": "Bekannt: {choices}.",
    },
    "date.unknown": {
        "fr": "Je ne comprends pas la date « {text} ». Exemples : demain, lundi, 16/05, "
        "16 mai, du 16 au 20 mai, jusqu'à nouvel ordre.",
        "en": "I cannot read the date “{text}”. Examples: tomorrow, monday, 16/05, 16 May, "
        "from 16 to 20 May, until further notice.",
        "nl": "Ik begrijp de datum “{text}” niet. Voorbeelden: morgen, maandag, 16/05, "
        "16 mei, van 16 tot 20 mei, tot nader order.",
        "de": "Ich verstehe das Datum „{text}“ nicht. Beispiele: morgen, Montag, 16.05., "
        "16. Mai, vom 16. bis 20. Mai, bis auf Weiteres.",
    },
    "date.vague": {
        "fr": "« {text} » : quel jour exactement ? Donnez une date (16/05) ou un jour (lundi).",
        "en": "“{text}”: which day exactly? Give a date (16/05) or a weekday (monday).",
        "nl": "“{text}”: welke dag precies? Geef een datum (16/05) of een weekdag (maandag).",
        "de": "„{text}“: welcher Tag genau? Geben Sie ein Datum (16.05.) oder einen "
        "Wochentag (Montag) an.",
    },
    "date.invalid": {
        "fr": "« {text} » n'existe pas dans le calendrier.",
        "en": "“{text}” is not a day of the calendar.",
        "nl": "“{text}” bestaat niet in de kalender.",
        "de": "„{text}“ gibt es im Kalender nicht.",
    },
    "date.mismatch": {
        "fr": "« {text} » : le {day} n'est pas un {weekday}. Lequel des deux ?",
        "en": "“{text}”: {day} is not a {weekday}. Which one do you mean?",
        "nl": "“{text}”: {day} is geen {weekday}. Welke bedoelt u?",
        "de": "„{text}“: {day} ist kein {weekday}. Was meinen Sie?",
    },
    "date.past": {
        "fr": "« {text} » tombe le {day}, qui est déjà passé (nous sommes le {today}) : "
        "rien n'est enregistré. Donnez un jour à partir d'aujourd'hui.",
        "en": "“{text}” falls on {day}, which is already past (today is {today}): nothing "
        "was recorded. Give a day from today on.",
        "nl": "“{text}” valt op {day}, en die dag is al voorbij (vandaag is het {today}): "
        "er is niets vastgelegd. Geef een dag vanaf vandaag.",
        "de": "„{text}“ fällt auf {day}, und dieser Tag ist schon vorbei (heute ist "
        "{today}): nichts wurde erfasst. Geben Sie einen Tag ab heute an.",
    },
    "date.reversed": {
        "fr": "« {text} » : la fin est avant le début.",
        "en": "“{text}”: the end is before the start.",
        "nl": "“{text}”: het einde ligt voor het begin.",
        "de": "„{text}“: das Ende liegt vor dem Anfang.",
    },
    # --- dispatcher
    "usage": {
        "fr": "Usage : {usage}",
        "en": "Usage: {usage}",
        "nl": "Gebruik: {usage}",
        "de": "Verwendung: {usage}",
    },
    "example": {
        "fr": "Exemple : {example}",
        "en": "Example: {example}",
        "nl": "Voorbeeld: {example}",
        "de": "Beispiel: {example}",
    },
    "refused": {
        "fr": "Refusé : {command} demande le rôle {roles} ; vous avez : {have}.",
        "en": "Refused: {command} needs the role {roles}; you have: {have}.",
        "nl": "Geweigerd: {command} vereist de rol {roles}; u hebt: {have}.",
        "de": "Abgelehnt: {command} erfordert die Rolle {roles}; Sie haben: {have}.",
    },
    "unknown_command": {
        "fr": "Commande inconnue : {command}.",
        "en": "Unknown command: {command}.",
        "nl": "Onbekend commando: {command}.",
        "de": "Unbekannter Befehl: {command}.",
    },
    "not_understood": {
        "fr": "Je n'ai pas compris. Essayez /help (ou !help).",
        "en": "I did not understand. Try /help (or !help).",
        "nl": "Dat begreep ik niet. Probeer /help (of !help).",
        "de": "Das habe ich nicht verstanden. Versuchen Sie /help (oder !help).",
    },
    "edit.not_rerun": {
        "fr": "Les modifications ne sont pas réexécutées : envoyez la commande à nouveau.",
        "en": "Edits are not re-run; send the command again.",
        "nl": "Bewerkingen worden niet opnieuw uitgevoerd; stuur het commando opnieuw.",
        "de": "Bearbeitungen werden nicht erneut ausgeführt; senden Sie den Befehl neu.",
    },
    "internal_error": {
        "fr": "Erreur interne : rien n'a été enregistré. Réessayez ; si cela persiste, "
        "signalez la référence {ref}.",
        "en": "Internal error: nothing was recorded. Try again; if it persists, report "
        "reference {ref}.",
        "nl": "Interne fout: er is niets vastgelegd. Probeer opnieuw; meld anders "
        "referentie {ref}.",
        "de": "Interner Fehler: nichts wurde erfasst. Versuchen Sie es erneut; sonst melden "
        "Sie die Referenz {ref}.",
    },
    # --- board
    "board.title": {
        "fr": "Situation du {day}",
        "en": "Status for {day}",
        "nl": "Situatie op {day}",
        "de": "Lage am {day}",
    },
    "board.headers": {
        "fr": "Service|Sites|Statut|Décision",
        "en": "Service|Sites|Status|Decision",
        "nl": "Dienst|Locaties|Status|Beslissing",
        "de": "Dienst|Standorte|Status|Entscheidung",
    },
    "board.other_sites": {
        "fr": "autres sites",
        "en": "other sites",
        "nl": "andere locaties",
        "de": "andere Standorte",
    },
    "board.note": {
        "fr": "n°{no} : {note}",
        "en": "no. {no}: {note}",
        "nl": "nr. {no}: {note}",
        "de": "Nr. {no}: {note}",
    },
    # --- history
    "history.title": {
        "fr": "Historique des décisions",
        "en": "Decision history",
        "nl": "Geschiedenis van de beslissingen",
        "de": "Verlauf der Entscheidungen",
    },
    "history.empty": {
        "fr": "Aucune décision enregistrée.",
        "en": "No decision recorded yet.",
        "nl": "Nog geen beslissing vastgelegd.",
        "de": "Noch keine Entscheidung erfasst.",
    },
    "history.page": {
        "fr": "Page {page}/{pages} ({total} entrées). Suite : {next}",
        "en": "Page {page}/{pages} ({total} entries). More: {next}",
        "nl": "Pagina {page}/{pages} ({total} items). Meer: {next}",
        "de": "Seite {page}/{pages} ({total} Einträge). Weiter: {next}",
    },
    "history.last_page": {
        "fr": "Page {page}/{pages} ({total} entrées).",
        "en": "Page {page}/{pages} ({total} entries).",
        "nl": "Pagina {page}/{pages} ({total} items).",
        "de": "Seite {page}/{pages} ({total} Einträge).",
    },
    "history.decision": {
        "fr": "n°{no} · {when} · {name} — {service}, {site} : {status} {period}",
        "en": "No. {no} · {when} · {name} — {service}, {site}: {status} {period}",
        "nl": "nr. {no} · {when} · {name} — {service}, {site}: {status} {period}",
        "de": "Nr. {no} · {when} · {name} — {service}, {site}: {status} {period}",
    },
    "history.revocation": {
        "fr": "{when} · {name} — révoque la n°{no}",
        "en": "{when} · {name} — revokes no. {no}",
        "nl": "{when} · {name} — trekt nr. {no} in",
        "de": "{when} · {name} — widerruft Nr. {no}",
    },
    "history.revoked": {
        "fr": " [révoquée]",
        "en": " [revoked]",
        "nl": " [ingetrokken]",
        "de": " [widerrufen]",
    },
    "history.bad_page": {
        "fr": "Il n'y a que {pages} page(s).",
        "en": "There are only {pages} page(s).",
        "nl": "Er zijn maar {pages} pagina('s).",
        "de": "Es gibt nur {pages} Seite(n).",
    },
    # --- meta
    "whoami": {
        "fr": "Vous êtes {id}{person}. Rôles : {roles}. Salle : {room}.",
        "en": "You are {id}{person}. Roles: {roles}. Room: {room}.",
        "nl": "U bent {id}{person}. Rollen: {roles}. Ruimte: {room}.",
        "de": "Sie sind {id}{person}. Rollen: {roles}. Raum: {room}.",
    },
    "help.title": {"fr": "Commandes", "en": "Commands", "nl": "Commando's", "de": "Befehle"},
    "help.footer": {
        "fr": "Préfixes : / ou ! (dans Element, tapez !). Détail : /help <commande>.",
        "en": "Prefixes: / or ! (in Element, type !). Details: /help <command>.",
        "nl": "Voorvoegsels: / of ! (typ ! in Element). Details: /help <commando>.",
        "de": "Präfixe: / oder ! (in Element ! tippen). Details: /help <Befehl>.",
    },
    "help.needs": {
        "fr": "rôle requis : {roles}",
        "en": "needs role: {roles}",
        "nl": "vereiste rol: {roles}",
        "de": "benötigte Rolle: {roles}",
    },
    "help.aliases": {
        "fr": "Alias : {aliases}",
        "en": "Aliases: {aliases}",
        "nl": "Aliassen: {aliases}",
        "de": "Aliasse: {aliases}",
    },
    "room.title": {
        "fr": "Réglages de la salle",
        "en": "Room settings",
        "nl": "Instellingen van de ruimte",
        "de": "Raumeinstellungen",
    },
    "room.language": {
        "fr": "Langue : {value}",
        "en": "Language: {value}",
        "nl": "Taal: {value}",
        "de": "Sprache: {value}",
    },
    "room.language.auto": {
        "fr": "celle du message (défaut {default})",
        "en": "the message's (default {default})",
        "nl": "die van het bericht (standaard {default})",
        "de": "die der Nachricht (Standard {default})",
    },
    "room.questions": {
        "fr": "Répondre aux questions non adressées : {value}",
        "en": "Answer questions not addressed to the bot: {value}",
        "nl": "Vragen beantwoorden die niet aan de bot gericht zijn: {value}",
        "de": "Nicht adressierte Fragen beantworten: {value}",
    },
    "room.briefing": {
        "fr": "Heure du briefing : {value}",
        "en": "Briefing time: {value}",
        "nl": "Tijdstip van de briefing: {value}",
        "de": "Uhrzeit des Briefings: {value}",
    },
    "room.updated": {
        "fr": "Réglage enregistré.",
        "en": "Setting saved.",
        "nl": "Instelling opgeslagen.",
        "de": "Einstellung gespeichert.",
    },
    "room.bad": {
        "fr": "Réglages possibles : language fr|en|nl|de|auto, questions on|off, "
        "briefing HH:MM|off.",
        "en": "Settings: language fr|en|nl|de|auto, questions on|off, briefing HH:MM|off.",
        "nl": "Instellingen: language fr|en|nl|de|auto, questions on|off, briefing HH:MM|off.",
        "de": "Einstellungen: language fr|en|nl|de|auto, questions on|off, briefing HH:MM|off.",
    },
    # --- questions
    "who_decides": {
        "fr": "La cellule de crise décide chaque matin.",
        "en": "The crisis cell decides each morning.",
        "nl": "De crisiscel beslist elke ochtend.",
        "de": "Der Krisenstab entscheidet jeden Morgen.",
    },
    "answer.yes": {"fr": "Oui", "en": "Yes", "nl": "Ja", "de": "Ja"},
    "answer.no": {"fr": "Non", "en": "No", "nl": "Nee", "de": "Nein"},
    "answer.partially": {
        "fr": "Partiellement",
        "en": "Partially",
        "nl": "Gedeeltelijk",
        "de": "Teilweise",
    },
    "answer.line": {
        "fr": "{answer} — {service}, {where} : {status} {period} {ref}.",
        "en": "{answer} — {service}, {where}: {status} {period} {ref}.",
        "nl": "{answer} — {service}, {where}: {status} {period} {ref}.",
        "de": "{answer} — {service}, {where}: {status} {period} {ref}.",
    },
    "answer.ref": {
        "fr": "(décision n°{no} du {when} par {name}{note})",
        "en": "(decision no. {no} of {when} by {name}{note})",
        "nl": "(beslissing nr. {no} van {when} door {name}{note})",
        "de": "(Entscheidung Nr. {no} vom {when} von {name}{note})",
    },
    "answer.note": {"fr": " : {note}", "en": ": {note}", "nl": ": {note}", "de": ": {note}"},
    "answer.none": {
        "fr": "Aucune décision enregistrée — {service}, {where}, le {day}.",
        "en": "No decision recorded — {service}, {where}, on {day}.",
        "nl": "Geen beslissing vastgelegd — {service}, {where}, op {day}.",
        "de": "Keine Entscheidung erfasst — {service}, {where}, am {day}.",
    },
    "answer.read_as": {
        "fr": "(J'ai lu : {typos}.)",
        "en": "(I read: {typos}.)",
        "nl": "(Gelezen als: {typos}.)",
        "de": "(Gelesen als: {typos}.)",
    },
    "answer.system": {
        "fr": "{answer} — {system} : {state} depuis le {since} (jalon de {name}).",
        "en": "{answer} — {system}: {state} since {since} (milestone by {name}).",
        "nl": "{answer} — {system}: {state} sinds {since} (mijlpaal door {name}).",
        "de": "{answer} — {system}: {state} seit {since} (Meilenstein von {name}).",
    },
    "answer.context": {
        "fr": "Informatique — {system} : {state} depuis le {since}.",
        "en": "IT — {system}: {state} since {since}.",
        "nl": "IT — {system}: {state} sinds {since}.",
        "de": "IT — {system}: {state} seit {since}.",
    },
    "answer.context.none": {
        "fr": "Informatique — {system} : aucun jalon enregistré.",
        "en": "IT — {system}: no milestone recorded.",
        "nl": "IT — {system}: geen mijlpaal vastgelegd.",
        "de": "IT — {system}: kein Meilenstein erfasst.",
    },
    "answer.system.none": {
        "fr": "Aucun jalon enregistré pour {system}.",
        "en": "No milestone recorded for {system}.",
        "nl": "Geen mijlpaal vastgelegd voor {system}.",
        "de": "Kein Meilenstein für {system} erfasst.",
    },
    "overview.title": {
        "fr": "Situation du {day} — {where}",
        "en": "Status on {day} — {where}",
        "nl": "Situatie op {day} — {where}",
        "de": "Lage am {day} — {where}",
    },
    "overview.open": {"fr": "Ouvert :", "en": "Open:", "nl": "Open:", "de": "Geöffnet:"},
    "overview.partial": {
        "fr": "Partiellement (réduit ou au cas par cas) :",
        "en": "Partially (reduced or case by case):",
        "nl": "Gedeeltelijk (beperkt of geval per geval):",
        "de": "Teilweise (eingeschränkt oder im Einzelfall):",
    },
    "overview.stopped": {
        "fr": "Annulé ou fermé :",
        "en": "Cancelled or closed:",
        "nl": "Geannuleerd of gesloten:",
        "de": "Abgesagt oder geschlossen:",
    },
    "overview.nothing": {"fr": "rien.", "en": "nothing.", "nl": "niets.", "de": "nichts."},
    "overview.none": {
        "fr": "Aucune décision enregistrée : {services}.",
        "en": "No decision recorded: {services}.",
        "nl": "Geen beslissing vastgelegd: {services}.",
        "de": "Keine Entscheidung erfasst: {services}.",
    },
    "ask.which_service": {
        "fr": "Quel service ? Je réponds sur les services et leurs décisions, par exemple : "
        "« la radiologie est-elle ouverte demain ? ».",
        "en": "Which service? I answer about services and their decisions, for example: "
        "“is radiology open tomorrow?”.",
        "nl": "Welke dienst? Ik antwoord over diensten en hun beslissingen, bijvoorbeeld: "
        "“is radiologie morgen open?”.",
        "de": "Welcher Dienst? Ich antworte zu Diensten und ihren Entscheidungen, zum "
        "Beispiel: „ist die Radiologie morgen geöffnet?“.",
    },
    # --- restoration plan
    "plan.title": {
        "fr": "Plan de rétablissement",
        "en": "Restoration plan",
        "nl": "Herstelplan",
        "de": "Wiederherstellungsplan",
    },
    "plan.line": {
        "fr": "{n}. {system} : {state} depuis le {since}",
        "en": "{n}. {system}: {state} since {since}",
        "nl": "{n}. {system}: {state} sinds {since}",
        "de": "{n}. {system}: {state} seit {since}",
    },
    "plan.line.none": {
        "fr": "{n}. {system} : pas encore d'état",
        "en": "{n}. {system}: no state yet",
        "nl": "{n}. {system}: nog geen status",
        "de": "{n}. {system}: noch kein Stand",
    },
    "plan.eta": {
        "fr": " (prévu : {eta})",
        "en": " (ETA {eta})",
        "nl": " (verwacht: {eta})",
        "de": " (erwartet: {eta})",
    },
    "plan.progress": {
        "fr": "Progression : {bar}",
        "en": "Progress: {bar}",
        "nl": "Voortgang: {bar}",
        "de": "Fortschritt: {bar}",
    },
    "alert.milestone.title": {
        "fr": "Rétablissement : {system}",
        "en": "Restoration: {system}",
        "nl": "Herstel: {system}",
        "de": "Wiederherstellung: {system}",
    },
    "alert.milestone": {
        "fr": "{system} : {state} (par {name}, {when}).",
        "en": "{system}: {state} (by {name}, {when}).",
        "nl": "{system}: {state} (door {name}, {when}).",
        "de": "{system}: {state} (von {name}, {when}).",
    },
    "alert.eta": {
        "fr": "Prévu : {eta}.",
        "en": "Expected: {eta}.",
        "nl": "Verwacht: {eta}.",
        "de": "Erwartet: {eta}.",
    },
    "alert.review": {
        "fr": "{system} est rétabli : ces décisions en vigueur peuvent être revues :",
        "en": "{system} is restored: these decisions in force may be reviewed:",
        "nl": "{system} is hersteld: deze geldende beslissingen kunnen herzien worden:",
        "de": "{system} ist wiederhergestellt: diese Entscheidungen können überprüft werden:",
    },
    "alert.review.item": {
        "fr": "n°{no} — {service}, {site} : {status} {period}",
        "en": "no. {no} — {service}, {site}: {status} {period}",
        "nl": "nr. {no} — {service}, {site}: {status} {period}",
        "de": "Nr. {no} — {service}, {site}: {status} {period}",
    },
    "briefing.title": {
        "fr": "Briefing du {day}",
        "en": "Briefing for {day}",
        "nl": "Briefing van {day}",
        "de": "Briefing vom {day}",
    },
    "briefing.in_force": {
        "fr": "Décisions en vigueur le {day} :",
        "en": "Decisions in force on {day}:",
        "nl": "Geldende beslissingen op {day}:",
        "de": "Geltende Entscheidungen am {day}:",
    },
    "briefing.decision": {
        "fr": "n°{no} — {service}, {where} : {status}",
        "en": "no. {no} — {service}, {where}: {status}",
        "nl": "nr. {no} — {service}, {where}: {status}",
        "de": "Nr. {no} — {service}, {where}: {status}",
    },
    "briefing.nothing": {"fr": "aucune.", "en": "none.", "nl": "geen.", "de": "keine."},
    "briefing.expiring": {
        "fr": "Décisions qui expirent aujourd'hui :",
        "en": "Decisions expiring today:",
        "nl": "Beslissingen die vandaag aflopen:",
        "de": "Heute auslaufende Entscheidungen:",
    },
    "briefing.open_items": {
        "fr": "À décider pour le {day} : {services}.",
        "en": "To decide for {day}: {services}.",
        "nl": "Te beslissen voor {day}: {services}.",
        "de": "Zu entscheiden für {day}: {services}.",
    },
    "milestone.which_system": {
        "fr": "Quel système ? {choices}.",
        "en": "Which system? {choices}.",
        "nl": "Welk systeem? {choices}.",
        "de": "Welches System? {choices}.",
    },
    "milestone.which_state": {
        "fr": "Quel état ? {choices}.",
        "en": "Which state? {choices}.",
        "nl": "Welke status? {choices}.",
        "de": "Welcher Stand? {choices}.",
    },
    "milestone.bad_eta": {
        "fr": "Je ne comprends pas l'échéance « {text} » (ex. : eta demain 18h).",
        "en": "I cannot read the ETA “{text}” (e.g. eta tomorrow 18:00).",
        "nl": "Ik begrijp de verwachte tijd “{text}” niet (bv. eta morgen 18u).",
        "de": "Ich verstehe die Zeitangabe „{text}“ nicht (z. B. eta morgen 18:00).",
    },
    "subscribe.topics": {
        "fr": "Sujets : milestones (jalons), decisions, briefing, jobs.",
        "en": "Topics: milestones, decisions, briefing, jobs.",
        "nl": "Onderwerpen: milestones, decisions, briefing, jobs.",
        "de": "Themen: milestones, decisions, briefing, jobs.",
    },
    "subscribe.done": {
        "fr": "Cette salle reçoit désormais : {topic}.",
        "en": "This room now receives: {topic}.",
        "nl": "Deze ruimte ontvangt nu: {topic}.",
        "de": "Dieser Raum erhält jetzt: {topic}.",
    },
    "subscribe.already": {
        "fr": "Cette salle reçoit déjà : {topic}.",
        "en": "This room already receives: {topic}.",
        "nl": "Deze ruimte ontvangt al: {topic}.",
        "de": "Dieser Raum erhält bereits: {topic}.",
    },
    "unsubscribe.done": {
        "fr": "Cette salle ne reçoit plus : {topic}.",
        "en": "This room no longer receives: {topic}.",
        "nl": "Deze ruimte ontvangt niet meer: {topic}.",
        "de": "Dieser Raum erhält nicht mehr: {topic}.",
    },
    "unsubscribe.not": {
        "fr": "Cette salle ne recevait pas : {topic}.",
        "en": "This room did not receive: {topic}.",
        "nl": "Deze ruimte ontving niet: {topic}.",
        "de": "Dieser Raum erhielt nicht: {topic}.",
    },
    "subscriptions.list": {
        "fr": "Abonnements de cette salle : {topics}.",
        "en": "This room's subscriptions: {topics}.",
        "nl": "Abonnementen van deze ruimte: {topics}.",
        "de": "Abonnements dieses Raums: {topics}.",
    },
    "subscriptions.failing": {
        "fr": "Attention : {n} message(s) n'ont pas pu être remis dans cette salle.",
        "en": "Careful: {n} message(s) could not be delivered to this room.",
        "nl": "Let op: {n} bericht(en) konden niet in deze ruimte bezorgd worden.",
        "de": "Achtung: {n} Nachricht(en) konnten in diesem Raum nicht zugestellt werden.",
    },
    "appointments.title": {
        "fr": "Rendez-vous du {day}",
        "en": "Appointments on {day}",
        "nl": "Afspraken op {day}",
        "de": "Termine am {day}",
    },
    "appointments.headers": {
        "fr": "Service|Site|Rendez-vous|SMS possible|À appeler|Maintenus|Reportés",
        "en": "Service|Site|Appointments|By SMS|To phone|Maintained|Postponed",
        "nl": "Dienst|Locatie|Afspraken|Via sms|Te bellen|Behouden|Uitgesteld",
        "de": "Dienst|Standort|Termine|Per SMS|Anzurufen|Beibehalten|Verschoben",
    },
    "appointments.total": {
        "fr": "Total : {total} rendez-vous, {mobile} joignables par SMS, {phone} à appeler.",
        "en": "Total: {total} appointments, {mobile} reachable by SMS, {phone} to phone.",
        "nl": "Totaal: {total} afspraken, {mobile} bereikbaar via sms, {phone} te bellen.",
        "de": "Gesamt: {total} Termine, {mobile} per SMS erreichbar, {phone} anzurufen.",
    },
    "on": {"fr": "oui", "en": "on", "nl": "aan", "de": "an"},
    "off": {"fr": "non", "en": "off", "nl": "uit", "de": "aus"},
    "none": {"fr": "aucun", "en": "none", "nl": "geen", "de": "keine"},
}


def _m(fr: str, en: str, nl: str, de: str) -> dict[str, str]:
    return {"fr": fr, "en": en, "nl": nl, "de": de}


# --- notification jobs -------------------------------------------------------------------
MESSAGES.update(
    {
        "job.state.draft": _m("brouillon", "draft", "concept", "Entwurf"),
        "job.state.running": _m("en cours", "running", "bezig", "läuft"),
        "job.state.paused": _m("en pause", "paused", "gepauzeerd", "pausiert"),
        "job.state.done": _m("terminé", "done", "klaar", "beendet"),
        "job.state.aborted": _m("annulé", "aborted", "afgebroken", "abgebrochen"),
        "job.kind.notify": _m("SMS", "SMS", "sms", "SMS"),
        "job.kind.correction": _m("rectificatif", "correction", "rechtzetting", "Korrektur"),
        "job.kind.callback": _m(
            "SMS « rappelez-nous »",
            '"call us back" SMS',
            'sms "bel ons terug"',
            'SMS "Rückruf"',
        ),
        "notify.draft.title": _m(
            "Brouillon d'envoi n° {no} (rien n'est encore envoyé)",
            "Notification draft #{no} (nothing sent yet)",
            "Concept-verzending nr. {no} (nog niets verstuurd)",
            "Entwurf Benachrichtigung Nr. {no} (noch nichts gesendet)",
        ),
        "notify.correction.title": _m(
            "Brouillon de rectificatif n° {no} (suite de l'envoi n° {of})",
            "Correction draft #{no} (follows job #{of})",
            "Concept-rechtzetting nr. {no} (na verzending nr. {of})",
            "Entwurf Korrektur Nr. {no} (zu Nr. {of})",
        ),
        "notify.draft.scope": _m(
            "{service}, {sites}, {period} : {recipients} SMS pour {appointments} rendez-vous.",
            "{service}, {sites}, {period}: {recipients} SMS for {appointments} appointments.",
            "{service}, {sites}, {period}: {recipients} sms'en voor {appointments} afspraken.",
            "{service}, {sites}, {period}: {recipients} SMS für {appointments} Termine.",
        ),
        "notify.draft.by_lang": _m(
            "Par langue : {langs}.",
            "By language: {langs}.",
            "Per taal: {langs}.",
            "Nach Sprache: {langs}.",
        ),
        "notify.draft.kinds": _m(
            "Annulation : {cancelled} · « nous vous contacterons » (cas par cas) : {contact}.",
            'Cancellation: {cancelled} · "we will contact you" (case by case): {contact}.',
            'Annulering: {cancelled} · "wij contacteren u" (geval per geval): {contact}.',
            'Absage: {cancelled} · "wir melden uns" (Einzelfall): {contact}.',
        ),
        "notify.draft.counts": _m(
            "Sans numéro mobile (à appeler) : {no_mobile} · désinscrits (STOP) : {opted_out} · "
            "rendez-vous regroupés (même patient, même jour) : {merged} · non concernés "
            "(ouvert ou sans décision) : {not_covered}.",
            "No mobile number (to phone): {no_mobile} · opted out (STOP): {opted_out} · "
            "appointments merged (same patient, same day): {merged} · not concerned "
            "(open or no decision): {not_covered}.",
            "Geen gsm-nummer (te bellen): {no_mobile} · afgemeld (STOP): {opted_out} · "
            "afspraken samengevoegd (zelfde patiënt, zelfde dag): {merged} · niet betrokken "
            "(open of geen beslissing): {not_covered}.",
            "Ohne Mobilnummer (anzurufen): {no_mobile} · abgemeldet (STOP): {opted_out} · "
            "zusammengefasst (gleicher Patient, gleicher Tag): {merged} · nicht betroffen "
            "(offen oder ohne Entscheidung): {not_covered}.",
        ),
        "notify.draft.marks": _m(
            "Maintenus par leur médecin : {maintained} (aucun SMS d'annulation) · reportés : "
            "{postponed}.",
            "Maintained by their doctor: {maintained} (no cancellation SMS) · postponed: "
            "{postponed}.",
            "Behouden door hun arts: {maintained} (geen annuleringssms) · uitgesteld: {postponed}.",
            "Von ihrem Arzt beibehalten: {maintained} (keine Absage-SMS) · verschoben: "
            "{postponed}.",
        ),
        "notify.draft.already": _m(
            "{n} patient(s) ont déjà reçu ce message lors d'un envoi précédent : pas de "
            "second SMS.",
            "{n} patient(s) already received this message in an earlier job: no second SMS.",
            "{n} patiënt(en) kregen dit bericht al bij een eerdere verzending: geen tweede sms.",
            "{n} Patient(en) haben diese Nachricht schon erhalten: keine zweite SMS.",
        ),
        "notify.draft.sample": _m(
            "Exemple en {language} ({length} caractères, {segments} SMS, {encoding}) : {text}",
            "Sample in {language} ({length} characters, {segments} SMS, {encoding}): {text}",
            "Voorbeeld in het {language} ({length} tekens, {segments} sms, {encoding}): {text}",
            "Beispiel auf {language} ({length} Zeichen, {segments} SMS, {encoding}): {text}",
        ),
        "notify.draft.decisions": _m(
            "D'après la/les décision(s) {decisions}.",
            "Based on decision(s) {decisions}.",
            "Op basis van beslissing(en) {decisions}.",
            "Auf Grundlage der Entscheidung(en) {decisions}.",
        ),
        "notify.draft.approve": _m(
            "Un autre membre de la cellule approuve avec /notify approve {no} ; "
            "abandon : /notify abort {no}.",
            "Another cell member approves with /notify approve {no}; "
            "to drop it: /notify abort {no}.",
            "Een ander lid van de cel keurt goed met /notify approve {no}; "
            "laten vallen: /notify abort {no}.",
            "Ein anderes Mitglied des Krisenstabs genehmigt mit /notify approve {no}; "
            "verwerfen: /notify abort {no}.",
        ),
        "notify.draft.approve_single": _m(
            "Approbation : /notify approve {no} (un seul approbateur est permis ici) ; "
            "abandon : /notify abort {no}.",
            "Approve with /notify approve {no} (a single approver is allowed here); "
            "to drop it: /notify abort {no}.",
            "Goedkeuren: /notify approve {no} (één goedkeurder volstaat hier); "
            "laten vallen: /notify abort {no}.",
            "Genehmigen: /notify approve {no} (hier genügt eine Person); "
            "verwerfen: /notify abort {no}.",
        ),
        "notify.drill": _m(
            "EXERCICE : les messages sont écrits dans un fichier, aucun SMS ne part.",
            "DRILL: messages are written to a file; no SMS leaves.",
            "OEFENING: berichten worden naar een bestand geschreven; er vertrekt geen sms.",
            "ÜBUNG: Nachrichten werden in eine Datei geschrieben; keine SMS geht hinaus.",
        ),
        "notify.nothing": _m(
            "Aucun SMS à envoyer pour {service}, {sites}, {period} : aucun patient joignable "
            "concerné.",
            "No SMS to send for {service}, {sites}, {period}: no reachable patient concerned.",
            "Geen sms te versturen voor {service}, {sites}, {period}: geen bereikbare patiënt "
            "betrokken.",
            "Keine SMS für {service}, {sites}, {period}: kein erreichbarer Patient betroffen.",
        ),
        "notify.no_decision": _m(
            "Aucune décision en vigueur ne dit {statuses} pour {service}, {sites}, {period}. "
            "Enregistrez d'abord la décision (/decide).",
            "No decision in force says {statuses} for {service}, {sites}, {period}. "
            "Record the decision first (/decide).",
            "Geen geldende beslissing zegt {statuses} voor {service}, {sites}, {period}. "
            "Registreer eerst de beslissing (/decide).",
            "Keine geltende Entscheidung sagt {statuses} für {service}, {sites}, {period}. "
            "Erfassen Sie zuerst die Entscheidung (/decide).",
        ),
        "notify.too_long": _m(
            "Un envoi couvre au plus {days} jours.",
            "A job covers at most {days} days.",
            "Een verzending dekt hoogstens {days} dagen.",
            "Eine Benachrichtigung umfasst höchstens {days} Tage.",
        ),
        "notify.need_end": _m(
            "Donnez un dernier jour (« du lundi au vendredi ») : un envoi ne peut pas courir "
            "« jusqu'à nouvel ordre ».",
            'Give a last day ("from monday to friday"): a job cannot run "until further notice".',
            'Geef een laatste dag ("van maandag tot vrijdag"): een verzending kan niet '
            '"tot nader order" lopen.',
            'Geben Sie einen letzten Tag an: eine Benachrichtigung gilt nicht "bis auf Weiteres".',
        ),
        "notify.correct_correction": _m(
            "L'envoi n° {no} est lui-même un rectificatif : rectifiez l'envoi d'origine.",
            "Job #{no} is itself a correction: correct the original job.",
            "Verzending nr. {no} is zelf een rechtzetting: zet de oorspronkelijke recht.",
            "Nr. {no} ist selbst eine Korrektur: korrigieren Sie den ursprünglichen Auftrag.",
        ),
        "notify.log_gateway": _m(
            "ATTENTION : aucun SMS ne partira. La passerelle est « log » (les messages sont "
            "écrits dans un fichier) : configurez [notify] gateway (twilio ou smpp).",
            'CAREFUL: no SMS will leave. The gateway is "log" (messages are written to a '
            "file): configure [notify] gateway (twilio or smpp).",
            'OPGELET: er vertrekt geen sms. De gateway is "log" (berichten worden naar een '
            "bestand geschreven): stel [notify] gateway in (twilio of smpp).",
            'ACHTUNG: keine SMS geht hinaus. Das Gateway ist "log" (Nachrichten gehen in '
            "eine Datei): [notify] gateway einstellen (twilio oder smpp).",
        ),
        "notify.no_hotline": _m(
            "Aucun numéro d'information n'est configuré ([notify] hotline) : le message "
            "se termine par « Infos : » sans numéro.",
            "No information number is configured ([notify] hotline): the message ends with "
            '"Info:" and no number.',
            "Er is geen infonummer ingesteld ([notify] hotline): het bericht eindigt op "
            '"Info:" zonder nummer.',
            "Keine Info-Nummer eingestellt ([notify] hotline): die Nachricht endet mit "
            '"Infos:" ohne Nummer.',
        ),
        "notify.overlap": _m(
            "D'autres envois couvrent ces jours ({jobs}) : chaque patient ne reçoit quand même "
            "qu'un SMS par jour et par type de message.",
            "Other jobs cover these days ({jobs}): each patient still gets one SMS per day "
            "and kind of message.",
            "Andere verzendingen dekken deze dagen ({jobs}): elke patiënt krijgt toch maar één "
            "sms per dag en soort bericht.",
            "Andere Aufträge betreffen diese Tage ({jobs}): jeder Patient erhält trotzdem nur "
            "eine SMS pro Tag und Art.",
        ),
        "notify.need_day": _m(
            "Pour quel(s) jour(s) ? Par ex. /notify consultations lundi",
            "For which day(s)? E.g. /notify consultations monday",
            "Voor welke dag(en)? Bv. /notify raadplegingen maandag",
            "Für welche(n) Tag(e)? Z. B. /notify Sprechstunden Montag",
        ),
        "notify.need_service": _m(
            "Quel service ? Un envoi concerne un seul service.",
            "Which service? A job is about one service.",
            "Welke dienst? Een verzending gaat over één dienst.",
            "Welcher Dienst? Eine Benachrichtigung betrifft einen Dienst.",
        ),
        "notify.need_no": _m(
            "Donnez le numéro de l'envoi, par ex. /notify {action} 3.",
            "Give the job's number, e.g. /notify {action} 3.",
            "Geef het nummer van de verzending, bv. /notify {action} 3.",
            "Geben Sie die Nummer an, z. B. /notify {action} 3.",
        ),
        "notify.no_such_job": _m(
            "Il n'y a pas d'envoi n° {no} (voir /jobs).",
            "There is no job #{no} (see /jobs).",
            "Er is geen verzending nr. {no} (zie /jobs).",
            "Es gibt keine Benachrichtigung Nr. {no} (siehe /jobs).",
        ),
        "notify.not_draft": _m(
            "L'envoi n° {no} n'est pas un brouillon (il est {state}).",
            "Job #{no} is not a draft (it is {state}).",
            "Verzending nr. {no} is geen concept (ze is {state}).",
            "Nr. {no} ist kein Entwurf (Zustand: {state}).",
        ),
        "notify.self_approval": _m(
            "Vous avez préparé l'envoi n° {no} : un autre membre de la cellule doit l'approuver.",
            "You drafted job #{no}: another cell member must approve it.",
            "U hebt verzending nr. {no} opgesteld: een ander lid van de cel moet ze goedkeuren.",
            "Sie haben Nr. {no} entworfen: ein anderes Mitglied muss genehmigen.",
        ),
        "notify.decision_gone": _m(
            "Les décisions ont changé depuis le brouillon de l'envoi n° {no} ({changes}) : "
            "rien n'est envoyé. Abandonnez-le (/notify abort {no}) et refaites un brouillon : "
            "il saute les patients qui ont déjà reçu le même message.",
            "The decisions changed since job #{no} was drafted ({changes}): nothing is sent. "
            "Abort it (/notify abort {no}) and draft again: a new draft skips the patients "
            "who already got the same message.",
            "De beslissingen zijn gewijzigd sinds het concept van verzending nr. {no} "
            "({changes}): er wordt niets verstuurd. Breek ze af (/notify abort {no}) en maak "
            "een nieuw concept: dat slaat wie hetzelfde bericht al kreeg over.",
            "Die Entscheidungen haben sich seit dem Entwurf Nr. {no} geändert ({changes}): "
            "nichts wird gesendet. Abbrechen (/notify abort {no}) und neu entwerfen: wer "
            "dieselbe Nachricht schon hat, wird übersprungen.",
        ),
        "job.meaning.cancelled": _m("annulé", "cancelled", "geannuleerd", "abgesagt"),
        "job.meaning.contact": _m(
            "au cas par cas", "case by case", "geval per geval", "Einzelfall"
        ),
        "job.meaning.open": _m("ouvert", "open", "open", "offen"),
        "job.meaning.reduced": _m("réduit", "reduced", "beperkt", "eingeschränkt"),
        "job.meaning.none": _m(
            "aucune décision", "no decision", "geen beslissing", "keine Entscheidung"
        ),
        "notify.bad_change": _m(
            "L'envoi n° {no} est {state} : il ne peut pas passer à « {to} ».",
            'Job #{no} is {state}: it cannot become "{to}".',
            'Verzending nr. {no} is {state}: ze kan niet "{to}" worden.',
            'Nr. {no} ist {state}: kann nicht "{to}" werden.',
        ),
        "notify.approved": _m(
            "Envoi n° {no} approuvé par {name} : {recipients} SMS partent maintenant "
            "(passerelle {gateway}).",
            "Job #{no} approved by {name}: {recipients} SMS are going out now (gateway {gateway}).",
            "Verzending nr. {no} goedgekeurd door {name}: {recipients} sms'en vertrekken nu "
            "(gateway {gateway}).",
            "Nr. {no} genehmigt von {name}: {recipients} SMS gehen jetzt hinaus "
            "(Gateway {gateway}).",
        ),
        "notify.approved.stale": _m(
            "Envoi n° {no} approuvé par {name} : {recipients} SMS attendent l'expéditeur de "
            "SMS qui détient le bail ({holder}, depuis le {since}), sans signe de vie depuis "
            "le {renewed} : ils partent quand il envoie, ou, s'il est arrêté, quand son bail "
            "expire (le {expires}) et qu'un autre expéditeur prend le relais.",
            "Job #{no} approved by {name}: {recipients} SMS are waiting for the SMS sender "
            "that holds the lease ({holder}, since {since}), with no sign of life since "
            "{renewed}: they go out when it sends, or, if it stopped, when its lease ends "
            "({expires}) and another sender takes over.",
            "Verzending nr. {no} goedgekeurd door {name}: {recipients} sms'en wachten op de "
            "sms-verzender die de lease heeft ({holder}, sinds {since}), zonder teken van "
            "leven sinds {renewed}: ze vertrekken wanneer die verstuurt, of, als die gestopt "
            "is, wanneer de lease afloopt ({expires}) en een andere verzender overneemt.",
            "Nr. {no} genehmigt von {name}: {recipients} SMS warten auf den SMS-Sender, der "
            "die Sperre hält ({holder}, seit {since}), ohne Lebenszeichen seit {renewed}: "
            "sie gehen hinaus, wenn er sendet, oder, falls er gestoppt ist, wenn seine Sperre "
            "abläuft ({expires}) und ein anderer Sender übernimmt.",
        ),
        "notify.approved.idle": _m(
            "Envoi n° {no} approuvé par {name} : {recipients} SMS sont prêts, mais aucun "
            "expéditeur de SMS ne tourne sur cette base de données : ils partiront quand il "
            "démarrera (crisiscell run, crisiscell shell ou crisiscell notify worker).",
            "Job #{no} approved by {name}: {recipients} SMS are queued, but no SMS sender is "
            "running on this database: they go out when one starts (crisiscell run, "
            "crisiscell shell or crisiscell notify worker).",
            "Verzending nr. {no} goedgekeurd door {name}: {recipients} sms'en staan klaar, "
            "maar er draait geen sms-verzender op deze database: ze vertrekken wanneer er "
            "een start (crisiscell run, crisiscell shell of crisiscell notify worker).",
            "Nr. {no} genehmigt von {name}: {recipients} SMS stehen bereit, aber auf dieser "
            "Datenbank läuft kein SMS-Sender: sie gehen hinaus, sobald einer startet "
            "(crisiscell run, crisiscell shell oder crisiscell notify worker).",
        ),
        "notify.changed": _m(
            "Envoi n° {no} : {state}.",
            "Job #{no}: {state}.",
            "Verzending nr. {no}: {state}.",
            "Nr. {no}: {state}.",
        ),
        "notify.cancelled_rows": _m(
            "{n} SMS non encore envoyés ne partiront pas.",
            "{n} SMS not yet sent will not go out.",
            "{n} nog niet verstuurde sms'en vertrekken niet.",
            "{n} noch nicht gesendete SMS gehen nicht hinaus.",
        ),
        "job.title": _m("Envoi n° {no}", "Job #{no}", "Verzending nr. {no}", "Nr. {no}"),
        "job.scope": _m(
            "{kind} {service}, {sites}, {period} — {state}",
            "{kind} {service}, {sites}, {period} — {state}",
            "{kind} {service}, {sites}, {period} — {state}",
            "{kind} {service}, {sites}, {period} — {state}",
        ),
        "job.counts": _m(
            "{total} SMS : envoyés {sent} · délivrés {delivered} · échecs {failed} · "
            "en attente {pending} · incertains {uncertain}",
            "{total} SMS: sent {sent} · delivered {delivered} · failed {failed} · "
            "pending {pending} · uncertain {uncertain}",
            "{total} sms: verstuurd {sent} · afgeleverd {delivered} · mislukt {failed} · "
            "wachtend {pending} · onzeker {uncertain}",
            "{total} SMS: gesendet {sent} · zugestellt {delivered} · fehlgeschlagen {failed} "
            "· wartend {pending} · unsicher {uncertain}",
        ),
        "job.progress.title": _m(
            "Envoi n° {no} : {percent} %",
            "Job #{no}: {percent}%",
            "Verzending nr. {no}: {percent}%",
            "Nr. {no}: {percent} %",
        ),
        "job.final.title": _m(
            "Envoi n° {no} terminé",
            "Job #{no} finished",
            "Verzending nr. {no} klaar",
            "Nr. {no} beendet",
        ),
        "job.final.call": _m(
            "À appeler : {to_call} patient(s) (échec, sans mobile, incertain). La liste est "
            "sur la machine du bot : crisiscell notify report {no} --csv",
            "To phone: {to_call} patient(s) (failed, no mobile, uncertain). The list is on "
            "the bot's machine: crisiscell notify report {no} --csv",
            "Te bellen: {to_call} patiënt(en) (mislukt, geen gsm, onzeker). De lijst staat "
            "op de machine van de bot: crisiscell notify report {no} --csv",
            "Anzurufen: {to_call} Patient(en) (fehlgeschlagen, ohne Mobilnummer, unsicher). "
            "Liste auf dem Rechner des Bots: crisiscell notify report {no} --csv",
        ),
        "jobs.title": _m("Envois de SMS", "SMS jobs", "Sms-verzendingen", "SMS-Aufträge"),
        "jobs.none": _m(
            "Aucun envoi pour l'instant.",
            "No job yet.",
            "Nog geen verzending.",
            "Noch keine Benachrichtigung.",
        ),
        "job.watch.title": _m(
            "Décision changée : l'envoi n° {no} est concerné",
            "Decision changed: job #{no} is affected",
            "Beslissing gewijzigd: verzending nr. {no} is betrokken",
            "Entscheidung geändert: Nr. {no} ist betroffen",
        ),
        "job.watch.revoked": _m(
            "La décision n° {decision} sur laquelle repose l'envoi n° {no} a été révoquée.",
            "Decision #{decision}, on which job #{no} rests, was revoked.",
            "Beslissing nr. {decision}, waarop verzending nr. {no} steunt, werd ingetrokken.",
            "Entscheidung Nr. {decision}, auf der Nr. {no} beruht, wurde widerrufen.",
        ),
        "job.watch.reopened": _m(
            "La décision n° {decision} dit désormais « {status} » pour {service}, {sites}, "
            "{period}, couvert par l'envoi n° {no}.",
            'Decision #{decision} now says "{status}" for {service}, {sites}, {period}, '
            "covered by job #{no}.",
            'Beslissing nr. {decision} zegt nu "{status}" voor {service}, {sites}, {period}, '
            "gedekt door verzending nr. {no}.",
            'Entscheidung Nr. {decision} sagt jetzt "{status}" für {service}, {sites}, '
            "{period} (Nr. {no}).",
        ),
        "job.watch.paused": _m(
            "L'envoi n° {no} est mis en pause : plus aucun SMS ne part. Il ne repartira pas "
            "sur des décisions changées : /notify abort {no}, puis un nouveau brouillon si "
            "besoin.",
            "Job #{no} is paused: no more SMS go out. It will not resume on changed "
            "decisions: /notify abort {no}, then a new draft if needed.",
            "Verzending nr. {no} is gepauzeerd: er vertrekken geen sms'en meer. Ze hervat niet "
            "op gewijzigde beslissingen: /notify abort {no}, dan zo nodig een nieuw concept.",
            "Nr. {no} ist pausiert: keine SMS mehr. Mit geänderten Entscheidungen geht es "
            "nicht weiter: /notify abort {no}, dann bei Bedarf ein neuer Entwurf.",
        ),
        "job.watch.offer": _m(
            "{messaged} patient(s) ont déjà reçu le SMS. Pour leur dire que leur rendez-vous "
            "est maintenu : /notify correct {no}",
            "{messaged} patient(s) already received the SMS. To tell them their appointment "
            "is maintained after all: /notify correct {no}",
            "{messaged} patiënt(en) kregen de sms al. Om hen te melden dat hun afspraak "
            "toch doorgaat: /notify correct {no}",
            "{messaged} Patient(en) haben die SMS schon erhalten. Um mitzuteilen, dass der "
            "Termin doch stattfindet: /notify correct {no}",
        ),
        "job.correction.none": _m(
            "Aucun rectificatif à envoyer pour l'envoi n° {no} : il faut une décision « ouvert » "
            "(/decide … ouvert …) pour les jours concernés, et des patients déjà prévenus.",
            "No correction to send for job #{no}: it needs an `open` decision "
            "(/decide … open …) for its days, and patients already messaged.",
            'Geen rechtzetting voor verzending nr. {no}: er is een beslissing "open" nodig '
            "(/decide … open …) voor die dagen, en patiënten die al een sms kregen.",
            'Keine Korrektur für Nr. {no}: dafür braucht es eine Entscheidung "offen" für '
            "diese Tage, und bereits benachrichtigte Patienten.",
        ),
    }
)


# --- the status web page -----------------------------------------------------------------
MESSAGES.update(
    {
        "web.title": _m(
            "État des services", "Service status", "Stand van de diensten", "Stand der Dienste"
        ),
        "web.updated": _m(
            "Mis à jour : {time}", "Updated: {time}", "Bijgewerkt: {time}", "Aktualisiert: {time}"
        ),
        "web.refresh": _m(
            "Cette page se met à jour chaque minute.",
            "This page updates itself every minute.",
            "Deze pagina wordt elke minuut bijgewerkt.",
            "Diese Seite aktualisiert sich jede Minute.",
        ),
        "web.no_decision": _m(
            "aucune décision", "no decision", "geen beslissing", "keine Entscheidung"
        ),
        "web.no_news": _m("pas de nouvelles", "no news", "geen nieuws", "keine Meldung"),
        "web.service": _m("Service", "Service", "Dienst", "Dienst"),
        "web.legend": _m("Légende", "Legend", "Legende", "Legende"),
        "web.legend.open": _m("ouvert", "open", "open", "offen"),
        "web.legend.partial": _m(
            "réduit ou au cas par cas",
            "reduced or case by case",
            "beperkt of geval per geval",
            "eingeschränkt oder Einzelfall",
        ),
        "web.legend.stopped": _m(
            "annulé ou fermé",
            "cancelled or closed",
            "geannuleerd of gesloten",
            "abgesagt oder geschlossen",
        ),
        "web.legend.none": _m(
            "aucune décision enregistrée",
            "no decision recorded",
            "geen beslissing geregistreerd",
            "keine Entscheidung erfasst",
        ),
        "web.plan": _m(
            "Rétablissement de l'informatique",
            "IT restoration",
            "Herstel van de informatica",
            "Wiederherstellung der IT",
        ),
        "web.progress": _m(
            "{done} système(s) rétabli(s) sur {total}",
            "{done} of {total} systems restored",
            "{done} van {total} systemen hersteld",
            "{done} von {total} Systemen wiederhergestellt",
        ),
        "web.system": _m("Système", "System", "Systeem", "System"),
        "web.state": _m("État", "State", "Toestand", "Zustand"),
        "web.eta": _m("Prévu", "Expected", "Verwacht", "Erwartet"),
        "web.note": _m("Remarque", "Note", "Opmerking", "Hinweis"),
        "web.owner": _m("Responsable", "Owner", "Verantwoordelijke", "Zuständig"),
        "web.jobs": _m("Envois de SMS", "SMS jobs", "Sms-verzendingen", "SMS-Aufträge"),
        "web.internal": _m("Vue interne", "Internal view", "Interne weergave", "Interne Ansicht"),
        "web.decided": _m(
            "décision n° {no}, {author}",
            "decision #{no}, {author}",
            "beslissing nr. {no}, {author}",
            "Entscheidung Nr. {no}, {author}",
        ),
        "web.language": _m("Langue", "Language", "Taal", "Sprache"),
        "web.calls.time": _m("Heure", "Time", "Uur", "Zeit"),
        "web.calls.appointment": _m("Rendez-vous", "Appointment", "Afspraak", "Termin"),
        "web.calls.phone": _m("Téléphone", "Phone", "Telefoon", "Telefon"),
        "web.calls.tries": _m("Essais", "Tries", "Pogingen", "Versuche"),
        "web.calls.outcome": _m("Résultat", "Outcome", "Uitkomst", "Ergebnis"),
        "web.calls.record": _m("Noter", "Record", "Noteren", "Eintragen"),
    }
)


# --- appointment marks and call lists ------------------------------------------------------
MESSAGES.update(
    {
        "marks.done": _m(
            "{n} rendez-vous marqué(s) « {outcome} »{note}.",
            '{n} appointment(s) marked "{outcome}"{note}.',
            '{n} afspra(a)k(en) gemarkeerd als "{outcome}"{note}.',
            '{n} Termin(e) als "{outcome}" markiert{note}.',
        ),
        "marks.unknown": _m(
            "Inconnu(s) dans la liste importée : {ids}.",
            "Not in the imported list: {ids}.",
            "Niet in de ingevoerde lijst: {ids}.",
            "Nicht in der importierten Liste: {ids}.",
        ),
        "marks.need_ids": _m(
            "Donnez un ou plusieurs numéros de rendez-vous, par ex. /maintain A123, A124 : note",
            "Give one or more appointment ids, e.g. /maintain A123, A124 : note",
            "Geef een of meer afspraaknummers, bv. /maintain A123, A124 : opmerking",
            "Geben Sie Terminnummern an, z. B. /maintain A123, A124 : Hinweis",
        ),
        "marks.offer": _m(
            "{n} de ces patient(s) ont déjà reçu un SMS d'annulation (envoi n° {job}) : pour "
            "leur dire que le rendez-vous est maintenu : /notify correct {job}",
            "{n} of these patient(s) already got a cancellation SMS (job #{job}): to tell them "
            "the appointment is maintained: /notify correct {job}",
            "{n} van deze patiënt(en) kregen al een annuleringssms (verzending nr. {job}): om "
            "hen te melden dat de afspraak doorgaat: /notify correct {job}",
            "{n} dieser Patient(en) haben schon eine Absage-SMS erhalten (Nr. {job}): um "
            "mitzuteilen, dass der Termin bleibt: /notify correct {job}",
        ),
        "answer.marks": _m(
            "{service} : {maintained} rendez-vous maintenu(s) par leur médecin, {postponed} "
            "reporté(s).",
            "{service}: {maintained} appointment(s) maintained by their doctor, {postponed} "
            "postponed.",
            "{service}: {maintained} afspra(a)k(en) behouden door hun arts, {postponed} "
            "uitgesteld.",
            "{service}: {maintained} Termin(e) vom Arzt beibehalten, {postponed} verschoben.",
        ),
        "marks.unmarked": _m(
            "{n} marque(s) retirée(s) : la décision du service s'applique de nouveau.",
            "{n} mark(s) taken back: the service decision applies again.",
            "{n} markering(en) ingetrokken: de beslissing van de dienst geldt opnieuw.",
            "{n} Markierung(en) zurückgenommen: die Entscheidung des Dienstes gilt wieder.",
        ),
        "marks.not_marked": _m(
            "Pas de marque pour : {ids}.",
            "No mark for: {ids}.",
            "Geen markering voor: {ids}.",
            "Keine Markierung für: {ids}.",
        ),
        "marks.withheld": _m(
            "{n} SMS d'annulation pas encore envoyé(s) ne partiront pas.",
            "{n} cancellation SMS not sent yet will not go out.",
            "{n} nog niet verstuurde annuleringssms('en) vertrekken niet.",
            "{n} noch nicht gesendete Absage-SMS gehen nicht hinaus.",
        ),
        "marks.to_phone": _m(
            "{n} patient(s) ont reçu un SMS qui couvrait aussi d'autres rendez-vous annulés : "
            "un appel l'expliquera mieux qu'un SMS.",
            "{n} patient(s) got one SMS also about other, still cancelled appointments: a "
            "phone call explains it better than an SMS.",
            "{n} patiënt(en) kregen één sms die ook over andere, nog geannuleerde afspraken "
            "ging: een telefoontje legt het beter uit.",
            "{n} Patient(en) erhielten eine SMS auch zu anderen, weiter abgesagten Terminen: "
            "ein Anruf erklärt es besser.",
        ),
        "calls.settled": _m(
            "L'appel du rendez-vous {id} est déjà conclu ({outcome}).",
            "The call for appointment {id} is already settled ({outcome}).",
            "De oproep voor afspraak {id} is al afgehandeld ({outcome}).",
            "Der Anruf für Termin {id} ist schon erledigt ({outcome}).",
        ),
        "marks.outcome.maintained": _m("maintenu", "maintained", "behouden", "beibehalten"),
        "marks.outcome.postponed": _m("reporté", "postponed", "uitgesteld", "verschoben"),
        "calls.title": _m(
            "Liste d'appels n° {no}", "Call list #{no}", "Bellijst nr. {no}", "Anrufliste Nr. {no}"
        ),
        "calls.built": _m(
            "{service}, {sites}, {period} (au cas par cas) : {n} rendez-vous à appeler{skipped}. "
            "Les numéros restent sur la machine du bot : crisiscell calls export {no} --csv "
            "(ou la page interne). Résultat d'un appel : /call <n° de rendez-vous> "
            "maintained|postponed|no-answer|to-retry",
            "{service}, {sites}, {period} (case by case): {n} appointments to phone{skipped}. "
            "The numbers stay on the bot's machine: crisiscell calls export {no} --csv (or the "
            "internal page). A call's outcome: /call <appointment id> "
            "maintained|postponed|no-answer|to-retry",
            "{service}, {sites}, {period} (geval per geval): {n} afspraken te bellen{skipped}. "
            "De nummers blijven op de machine van de bot: crisiscell calls export {no} --csv "
            "(of de interne pagina). Uitkomst van een oproep: /call <afspraaknr> "
            "maintained|postponed|no-answer|to-retry",
            "{service}, {sites}, {period} (Einzelfall): {n} Termine anzurufen{skipped}. Die "
            "Nummern bleiben auf dem Rechner des Bots: crisiscell calls export {no} --csv. "
            "Ergebnis: /call <Terminnr> maintained|postponed|no-answer|to-retry",
        ),
        "calls.skipped": _m(
            " ({n} déjà marqué(s) par leur médecin)",
            " ({n} already marked by their doctor)",
            " ({n} al gemarkeerd door hun arts)",
            " ({n} schon vom Arzt markiert)",
        ),
        "calls.none": _m(
            "Aucun rendez-vous à appeler : aucun jour « au cas par cas » avec des rendez-vous "
            "pour {service}, {sites}, {period}.",
            "No appointment to phone: no case-by-case day with appointments for {service}, "
            "{sites}, {period}.",
            'Geen afspraak te bellen: geen dag "geval per geval" met afspraken voor '
            "{service}, {sites}, {period}.",
            "Kein Termin anzurufen: kein Einzelfall-Tag mit Terminen für {service}, {sites}, "
            "{period}.",
        ),
        "calls.status": _m(
            "{total} appels : à faire {pending} · maintenus {maintained} · reportés "
            "{postponed} · sans réponse {no_answer} · à rappeler {to_retry} · injoignables "
            "après {tries} essais : {unreached}",
            "{total} calls: to do {pending} · maintained {maintained} · postponed {postponed} "
            "· no answer {no_answer} · to retry {to_retry} · not reached after {tries} tries: "
            "{unreached}",
            "{total} oproepen: te doen {pending} · behouden {maintained} · uitgesteld "
            "{postponed} · geen antwoord {no_answer} · opnieuw {to_retry} · niet bereikt na "
            "{tries} pogingen: {unreached}",
            "{total} Anrufe: offen {pending} · beibehalten {maintained} · verschoben "
            "{postponed} · keine Antwort {no_answer} · erneut {to_retry} · nicht erreicht "
            "nach {tries} Versuchen: {unreached}",
        ),
        "calls.sms_hint": _m(
            "Pour leur envoyer « merci de nous rappeler » : /calls sms {no}",
            'To send them "please call us back": /calls sms {no}',
            'Om hen "gelieve ons terug te bellen" te sturen: /calls sms {no}',
            'Um ihnen "bitte rufen Sie zurück" zu senden: /calls sms {no}',
        ),
        "calls.recorded": _m(
            "Appel du rendez-vous {id} (liste n° {no}) : {outcome} (essai n° {tries}).",
            "Call for appointment {id} (list #{no}): {outcome} (try {tries}).",
            "Oproep voor afspraak {id} (lijst nr. {no}): {outcome} (poging {tries}).",
            "Anruf für Termin {id} (Liste Nr. {no}): {outcome} (Versuch {tries}).",
        ),
        "calls.bad_outcome": _m(
            "Résultat inconnu : {outcomes}.",
            "Unknown outcome: {outcomes}.",
            "Onbekende uitkomst: {outcomes}.",
            "Unbekanntes Ergebnis: {outcomes}.",
        ),
        "calls.not_on_a_list": _m(
            "Le rendez-vous {id} n'est sur aucune liste d'appels.",
            "Appointment {id} is on no call list.",
            "Afspraak {id} staat op geen enkele bellijst.",
            "Termin {id} steht auf keiner Anrufliste.",
        ),
        "calls.no_such_list": _m(
            "Il n'y a pas de liste d'appels n° {no}.",
            "There is no call list #{no}.",
            "Er is geen bellijst nr. {no}.",
            "Es gibt keine Anrufliste Nr. {no}.",
        ),
        "calls.nobody_unreached": _m(
            "Personne n'est injoignable après {tries} essais sur la liste n° {no}.",
            "Nobody is unreached after {tries} tries on list #{no}.",
            "Niemand is onbereikbaar na {tries} pogingen op lijst nr. {no}.",
            "Niemand ist nach {tries} Versuchen auf Liste Nr. {no} unerreicht.",
        ),
    }
)
