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
    "decision.past": {
        "fr": "Attention : cette période est déjà passée.",
        "en": "Careful: this period is already in the past.",
        "nl": "Let op: deze periode ligt al in het verleden.",
        "de": "Achtung: dieser Zeitraum liegt bereits in der Vergangenheit.",
    },
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
        "fr": "Service|Site|Rendez-vous|SMS possible|À appeler",
        "en": "Service|Site|Appointments|By SMS|To phone",
        "nl": "Dienst|Locatie|Afspraken|Via sms|Te bellen",
        "de": "Dienst|Standort|Termine|Per SMS|Anzurufen",
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
