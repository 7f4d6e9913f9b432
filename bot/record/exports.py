"""The crisis record, exported: the activity log (HICS 214 spirit) and the situation report.

Pure and platform-free: the builders take plain inputs (ledger entries and their
verification, board rows, milestones, jobs with their progress) and return data classes
whose every user-facing string is already localized; the renderers turn those into CSV,
Markdown or HTML text. Reading the database and loading the HTML templates is the
adapter's job (``adapters/exports.py``); an HTML renderer is handed its template.

The record is internal: decision notes are shown whole (internal part included). It never
holds patient data: the ledger has none, and jobs are shown by their counts only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.catalog import Catalog
from bot.i18n import MESSAGES, _m, fmt_day, fmt_period, t
from bot.jobs.notify import Job, Progress, state_name
from bot.jobs.reports import counts_line, to_call
from bot.ledger.chain import Verification
from bot.ledger.decisions import NOTE_INTERNAL, BoardRow
from bot.model import ALL_SITES, Attachment, Lang, LedgerEntry, Milestone
from bot.plan.milestones import progress, progress_bar

if TYPE_CHECKING:
    pass


EXPORT_MESSAGES: dict[str, dict[str, str]] = {
    "export.log.title": _m(
        "Journal d'activité de la cellule de crise",
        "Crisis cell activity log",
        "Activiteitenlogboek van de crisiscel",
        "Aktivitätsprotokoll des Krisenstabs",
    ),
    "export.sitrep.title": _m(
        "Rapport de situation du {day}",
        "Situation report for {day}",
        "Situatierapport van {day}",
        "Lagebericht vom {day}",
    ),
    # --- the chain
    "export.chain.ok": _m(
        "Chaîne vérifiée : {n} entrées, empreinte de la dernière : {hash}",
        "Chain verified: {n} entries, hash of the last: {hash}",
        "Keten geverifieerd: {n} items, hash van het laatste: {hash}",
        "Kette geprüft: {n} Einträge, Hash des letzten: {hash}",
    ),
    "export.chain.empty": _m(
        "Chaîne vérifiée : le registre est vide.",
        "Chain verified: the ledger is empty.",
        "Keten geverifieerd: het register is leeg.",
        "Kette geprüft: das Register ist leer.",
    ),
    "export.chain.broken": _m(
        "CHAÎNE ROMPUE à l'entrée {seq} : {reason}. Les {n} entrées qui la précèdent sont "
        "vérifiées ; l'entrée {seq} et les suivantes ne sont pas fiables.",
        "CHAIN BROKEN at entry {seq}: {reason}. The {n} entries before it verify; entry "
        "{seq} and the ones after it cannot be trusted.",
        "KETEN GEBROKEN bij item {seq}: {reason}. De {n} items ervoor zijn geverifieerd; "
        "item {seq} en de volgende zijn niet betrouwbaar.",
        "KETTE GEBROCHEN bei Eintrag {seq}: {reason}. Die {n} Einträge davor sind geprüft; "
        "Eintrag {seq} und die folgenden sind nicht vertrauenswürdig.",
    ),
    "export.chain.tables": _m(
        "CHAÎNE ROMPUE à l'entrée {seq} : {reason}. La chaîne d'empreintes tient ({n} "
        "entrées) mais les tables lues par le bot ne lui correspondent plus.",
        "CHAIN BROKEN at entry {seq}: {reason}. The hash chain itself holds ({n} entries) "
        "but the tables the bot reads no longer match it.",
        "KETEN GEBROKEN bij item {seq}: {reason}. De hashketen zelf klopt ({n} items), maar "
        "de tabellen die de bot leest komen er niet meer mee overeen.",
        "KETTE GEBROCHEN bei Eintrag {seq}: {reason}. Die Hash-Kette selbst hält ({n} "
        "Einträge), aber die Tabellen, die der Bot liest, stimmen nicht mehr mit ihr überein.",
    ),
    "export.chain.nowhere": _m(
        "CHAÎNE ROMPUE : {reason}. La chaîne d'empreintes tient ({n} entrées) mais les "
        "tables lues par le bot ne lui correspondent plus.",
        "CHAIN BROKEN: {reason}. The hash chain itself holds ({n} entries) but the tables "
        "the bot reads no longer match it.",
        "KETEN GEBROKEN: {reason}. De hashketen zelf klopt ({n} items), maar de tabellen die "
        "de bot leest komen er niet meer mee overeen.",
        "KETTE GEBROCHEN: {reason}. Die Hash-Kette selbst hält ({n} Einträge), aber die "
        "Tabellen, die der Bot liest, stimmen nicht mehr mit ihr überein.",
    ),
    "export.reason.gap": _m(
        "numérotation interrompue : entrée {expected} attendue, {found} trouvée",
        "sequence gap: expected entry {expected}, found {found}",
        "onderbroken nummering: item {expected} verwacht, {found} gevonden",
        "Lücke in der Nummerierung: Eintrag {expected} erwartet, {found} gefunden",
    ),
    "export.reason.prev": _m(
        "son empreinte précédente ne correspond pas à celle de l'entrée d'avant",
        "its previous-hash does not match the hash of the entry before it",
        "de vorige hash komt niet overeen met de hash van het item ervoor",
        "sein Vorgänger-Hash stimmt nicht mit dem Hash des vorigen Eintrags überein",
    ),
    "export.reason.altered": _m(
        "son contenu ne correspond pas à son empreinte (modifié après son enregistrement)",
        "its content does not match its hash (altered after it was recorded)",
        "de inhoud komt niet overeen met de hash (gewijzigd na het vastleggen)",
        "sein Inhalt stimmt nicht mit seinem Hash überein (nach der Erfassung verändert)",
    ),
    "export.reason.json": _m(
        "son contenu n'est pas du JSON valide",
        "its content is not valid JSON",
        "de inhoud is geen geldige JSON",
        "sein Inhalt ist kein gültiges JSON",
    ),
    "export.reason.columns": _m(
        "ses colonnes ne correspondent pas à son contenu protégé par l'empreinte",
        "its columns do not match its hashed content",
        "de kolommen komen niet overeen met de gehashte inhoud",
        "seine Spalten stimmen nicht mit dem gehashten Inhalt überein",
    ),
    "export.reason.decision": _m(
        "la décision n°{no} de la table des décisions diffère du registre",
        "decision no. {no} in the decision table differs from the ledger",
        "beslissing nr. {no} in de beslissingstabel wijkt af van het register",
        "Entscheidung Nr. {no} in der Entscheidungstabelle weicht vom Register ab",
    ),
    "export.reason.revocations": _m(
        "la table des révocations diffère du registre",
        "the revocation table differs from the ledger",
        "de tabel met intrekkingen wijkt af van het register",
        "die Widerrufstabelle weicht vom Register ab",
    ),
    "export.reason.milestone": _m(
        "le jalon {seq} de la table du plan diffère du registre",
        "milestone {seq} in the plan table differs from the ledger",
        "mijlpaal {seq} in de plantabel wijkt af van het register",
        "Meilenstein {seq} in der Plantabelle weicht vom Register ab",
    ),
    "export.reason.mark": _m(
        "la marque du rendez-vous {appointment} diffère du registre",
        "the mark of appointment {appointment} differs from the ledger",
        "de markering van afspraak {appointment} wijkt af van het register",
        "die Markierung des Termins {appointment} weicht vom Register ab",
    ),
    # --- header lines
    "export.period.day": _m(
        "Période couverte : {day}",
        "Period covered: {day}",
        "Behandelde periode: {day}",
        "Erfasster Zeitraum: {day}",
    ),
    "export.period.range": _m(
        "Période couverte : du {first} au {last}",
        "Period covered: {first} to {last}",
        "Behandelde periode: van {first} tot en met {last}",
        "Erfasster Zeitraum: {first} bis {last}",
    ),
    "export.listed": _m(
        "Entrées listées : {n} sur {total}",
        "Entries listed: {n} of {total}",
        "Opgenomen items: {n} van {total}",
        "Aufgeführte Einträge: {n} von {total}",
    ),
    "export.made": _m(
        "Exporté le {when}",
        "Exported on {when}",
        "Geëxporteerd op {when}",
        "Exportiert am {when}",
    ),
    "export.made.by": _m(
        "Exporté le {when} par {name}",
        "Exported on {when} by {name}",
        "Geëxporteerd op {when} door {name}",
        "Exportiert am {when} von {name}",
    ),
    "export.tz": _m(
        "Heures locales ({zone}).",
        "Times are local ({zone}).",
        "Lokale tijden ({zone}).",
        "Ortszeit ({zone}).",
    ),
    "export.at": _m("{day} à {time}", "{day} at {time}", "{day} om {time}", "{day} um {time}"),
    "export.internal": _m(
        "Document interne : notes complètes ; aucune donnée de patient.",
        "Internal document: full notes; no patient data.",
        "Intern document: volledige opmerkingen; geen patiëntgegevens.",
        "Internes Dokument: vollständige Notizen; keine Patientendaten.",
    ),
    "export.empty": _m(
        "Aucune entrée sur cette période.",
        "No entry in this period.",
        "Geen items in deze periode.",
        "Keine Einträge in diesem Zeitraum.",
    ),
    "export.unverified": _m("non vérifiée", "not verified", "niet geverifieerd", "nicht geprüft"),
    # --- column headers
    "export.h.seq": _m("N°", "No.", "Nr.", "Nr."),
    "export.h.time": _m("Heure", "Time", "Tijd", "Zeit"),
    "export.h.type": _m("Entrée", "Entry", "Item", "Eintrag"),
    "export.h.author": _m("Auteur (rôles)", "Author (roles)", "Auteur (rollen)", "Autor (Rollen)"),
    "export.h.summary": _m("Quoi", "What", "Wat", "Was"),
    "export.h.hash": _m("Empreinte", "Hash", "Hash", "Hash"),
    "export.h.service": _m("Service", "Service", "Dienst", "Dienst"),
    "export.h.sites": _m("Sites", "Sites", "Locaties", "Standorte"),
    "export.h.status": _m("Statut", "Status", "Status", "Status"),
    "export.h.decision": _m("Décision", "Decision", "Beslissing", "Entscheidung"),
    "export.h.period": _m("Période", "Period", "Periode", "Zeitraum"),
    "export.h.note": _m("Note", "Note", "Opmerking", "Hinweis"),
    "export.h.system": _m("Système", "System", "Systeem", "System"),
    "export.h.state": _m("État", "State", "Status", "Stand"),
    "export.h.since": _m("Depuis", "Since", "Sinds", "Seit"),
    "export.h.eta": _m("Prévu", "ETA", "Verwacht", "Erwartet"),
    "export.h.job": _m("Envoi", "Job", "Verzending", "Auftrag"),
    "export.h.scope": _m("Périmètre", "Scope", "Bereik", "Umfang"),
    "export.h.messages": _m("Messages", "Messages", "Berichten", "Nachrichten"),
    "export.h.to_call": _m("À appeler", "To phone", "Te bellen", "Anzurufen"),
    # --- entry types
    "export.type.decision": _m("Décision", "Decision", "Beslissing", "Entscheidung"),
    "export.type.appointment-mark": _m(
        "Rendez-vous marqué", "Appointment marked", "Afspraak gemarkeerd", "Termin markiert"
    ),
    "export.type.call-list": _m("Liste d'appels", "Call list", "Bellijst", "Anrufliste"),
    "export.type.call-outcome": _m(
        "Résultat d'appel", "Call outcome", "Uitkomst oproep", "Anrufergebnis"
    ),
    "export.mark": _m(
        "Rendez-vous {appointment} : {outcome}.",
        "Appointment {appointment}: {outcome}.",
        "Afspraak {appointment}: {outcome}.",
        "Termin {appointment}: {outcome}.",
    ),
    "export.type.appointment-unmark": _m(
        "Marque retirée", "Mark taken back", "Markering ingetrokken", "Markierung zurückgenommen"
    ),
    "export.unmark": _m(
        "Rendez-vous {appointment} : marque retirée.",
        "Appointment {appointment}: mark taken back.",
        "Afspraak {appointment}: markering ingetrokken.",
        "Termin {appointment}: Markierung zurückgenommen.",
    ),
    "export.call_list": _m(
        "Liste d'appels n° {no} : {calls} rendez-vous à appeler.",
        "Call list #{no}: {calls} appointments to phone.",
        "Bellijst nr. {no}: {calls} afspraken te bellen.",
        "Anrufliste Nr. {no}: {calls} Termine anzurufen.",
    ),
    "export.call_outcome": _m(
        "Liste n° {no}, rendez-vous {appointment} : {outcome}.",
        "List #{no}, appointment {appointment}: {outcome}.",
        "Lijst nr. {no}, afspraak {appointment}: {outcome}.",
        "Liste Nr. {no}, Termin {appointment}: {outcome}.",
    ),
    "export.type.revocation": _m("Révocation", "Revocation", "Intrekking", "Widerruf"),
    "export.type.milestone": _m("Jalon", "Milestone", "Mijlpaal", "Meilenstein"),
    "export.type.job-drafted": _m(
        "Envoi préparé", "Job drafted", "Verzending voorbereid", "Auftrag entworfen"
    ),
    "export.type.job-approved": _m(
        "Envoi approuvé", "Job approved", "Verzending goedgekeurd", "Auftrag freigegeben"
    ),
    "export.type.job-paused": _m(
        "Envoi en pause", "Job paused", "Verzending gepauzeerd", "Auftrag pausiert"
    ),
    "export.type.job-running": _m(
        "Envoi repris", "Job resumed", "Verzending hervat", "Auftrag fortgesetzt"
    ),
    "export.type.job-aborted": _m(
        "Envoi annulé", "Job aborted", "Verzending afgebroken", "Auftrag abgebrochen"
    ),
    "export.type.job-done": _m(
        "Envoi terminé", "Job finished", "Verzending klaar", "Auftrag beendet"
    ),
    # --- summaries
    "export.revoked.short": _m(
        "La décision n°{no} est révoquée.",
        "Decision no. {no} is revoked.",
        "Beslissing nr. {no} is ingetrokken.",
        "Entscheidung Nr. {no} ist widerrufen.",
    ),
    "export.milestone": _m(
        "{system} : {state}.", "{system}: {state}.", "{system}: {state}.", "{system}: {state}."
    ),
    "export.job.title": _m("Envoi n° {no}", "Job #{no}", "Verzending nr. {no}", "Auftrag Nr. {no}"),
    "export.job": _m(
        "{title} ({kind}) — {service}, {sites}, {period} : {what}.",
        "{title} ({kind}) — {service}, {sites}, {period}: {what}.",
        "{title} ({kind}) — {service}, {sites}, {period}: {what}.",
        "{title} ({kind}) — {service}, {sites}, {period}: {what}.",
    ),
    "export.job.job-drafted": _m(
        "préparé, rien n'est encore envoyé",
        "drafted, nothing sent yet",
        "voorbereid, nog niets verstuurd",
        "entworfen, noch nichts gesendet",
    ),
    "export.job.job-approved": _m(
        "approuvé, envoi lancé",
        "approved, sending started",
        "goedgekeurd, verzending gestart",
        "freigegeben, Versand gestartet",
    ),
    "export.job.job-paused": _m("mis en pause", "paused", "gepauzeerd", "pausiert"),
    "export.job.job-running": _m("repris", "resumed", "hervat", "fortgesetzt"),
    "export.job.job-aborted": _m(
        "annulé, les messages non envoyés ne partiront pas",
        "aborted, unsent messages cancelled",
        "afgebroken, niet verstuurde berichten vervallen",
        "abgebrochen, nicht gesendete Nachrichten verfallen",
    ),
    "export.job.job-done": _m("terminé", "finished", "klaar", "beendet"),
    "export.job.decisions": _m(
        "Décisions : {nos}.", "Decisions: {nos}.", "Beslissingen: {nos}.", "Entscheidungen: {nos}."
    ),
    "export.tag.revoked": _m(
        "décision n°{no} révoquée",
        "decision no. {no} revoked",
        "beslissing nr. {no} ingetrokken",
        "Entscheidung Nr. {no} widerrufen",
    ),
    "export.tag.decision": _m(
        "décision n°{no} enregistrée",
        "decision no. {no} recorded",
        "beslissing nr. {no} vastgelegd",
        "Entscheidung Nr. {no} erfasst",
    ),
    "export.unreadable": _m(
        "(entrée illisible)", "(unreadable entry)", "(onleesbaar item)", "(unlesbarer Eintrag)"
    ),
    # --- situation report
    "export.sitrep.period": _m(
        "Période opérationnelle : {day} ; perspective : {next}",
        "Operational period: {day}; outlook: {next}",
        "Operationele periode: {day}; vooruitblik: {next}",
        "Einsatzzeitraum: {day}; Ausblick: {next}",
    ),
    "export.sitrep.in_force": _m(
        "Décisions en vigueur le {day}",
        "Decisions in force on {day}",
        "Geldende beslissingen op {day}",
        "Geltende Entscheidungen am {day}",
    ),
    "export.no_state": _m(
        "pas encore d'état", "no state yet", "nog geen status", "noch kein Stand"
    ),
    "export.jobs.none": _m(
        "Aucun envoi pour cette période.",
        "No job for this period.",
        "Geen verzending voor deze periode.",
        "Keine Aufträge für diesen Zeitraum.",
    ),
    "export.open.title": _m("Points ouverts", "Open items", "Openstaande punten", "Offene Punkte"),
    "export.open.none": _m("Aucun.", "None.", "Geen.", "Keine."),
    "export.open.undecided": _m(
        "Aucune décision enregistrée pour le {day} : {service}, {sites}.",
        "No decision recorded for {day}: {service}, {sites}.",
        "Geen beslissing vastgelegd voor {day}: {service}, {sites}.",
        "Keine Entscheidung erfasst für {day}: {service}, {sites}.",
    ),
    "export.open.system": _m(
        "Pas encore rétabli : {system} ({state}){eta}.",
        "Not restored yet: {system} ({state}){eta}.",
        "Nog niet hersteld: {system} ({state}){eta}.",
        "Noch nicht wiederhergestellt: {system} ({state}){eta}.",
    ),
    "export.note.internal": _m(
        "{public} (interne : {internal})",
        "{public} (internal: {internal})",
        "{public} (intern: {internal})",
        "{public} (intern: {internal})",
    ),
    "export.open.eta": _m(
        " — prévu le {eta}", " — expected {eta}", " — verwacht op {eta}", " — erwartet am {eta}"
    ),
    "export.open.draft": _m(
        "L'envoi n° {no} attend l'approbation d'un second membre de la cellule "
        "(/notify approve {no}).",
        "Job #{no} awaits approval by a second cell member (/notify approve {no}).",
        "Verzending nr. {no} wacht op goedkeuring door een tweede lid van de cel "
        "(/notify approve {no}).",
        "Auftrag Nr. {no} wartet auf Freigabe durch ein zweites Mitglied des Krisenstabs "
        "(/notify approve {no}).",
    ),
    "export.open.running": _m(
        "L'envoi n° {no} est en cours : {pending} message(s) en attente.",
        "Job #{no} is still sending: {pending} message(s) pending.",
        "Verzending nr. {no} is bezig: {pending} bericht(en) wachtend.",
        "Auftrag Nr. {no} läuft noch: {pending} Nachricht(en) wartend.",
    ),
    "export.open.paused": _m(
        "L'envoi n° {no} est en pause : {pending} message(s) non envoyé(s).",
        "Job #{no} is paused: {pending} message(s) not sent.",
        "Verzending nr. {no} is gepauzeerd: {pending} bericht(en) niet verstuurd.",
        "Auftrag Nr. {no} ist pausiert: {pending} Nachricht(en) nicht gesendet.",
    ),
    "export.open.to_call": _m(
        "Envoi n° {no} : {n} patient(s) à appeler (échec, sans mobile, incertain) ; la liste "
        "est sur la machine du bot : crisiscell notify report {no} --csv",
        "Job #{no}: {n} patient(s) to phone (failed, no mobile, uncertain); the list is on "
        "the bot's machine: crisiscell notify report {no} --csv",
        "Verzending nr. {no}: {n} patiënt(en) te bellen (mislukt, geen gsm, onzeker); de "
        "lijst staat op de machine van de bot: crisiscell notify report {no} --csv",
        "Auftrag Nr. {no}: {n} Patient(en) anzurufen (fehlgeschlagen, ohne Mobilnummer, "
        "unsicher); Liste auf dem Rechner des Bots: crisiscell notify report {no} --csv",
    ),
    "export.open.undeliverable": _m(
        "{n} message(s) n'ont pas pu être remis dans les salons (le bot ne peut plus y écrire).",
        "{n} message(s) could not be delivered to chat rooms (the bot can no longer post there).",
        "{n} bericht(en) konden niet in de chatruimtes afgeleverd worden (de bot kan er niet "
        "meer posten).",
        "{n} Nachricht(en) konnten nicht in die Chaträume zugestellt werden (der Bot kann dort "
        "nicht mehr posten).",
    ),
    # /export in chat
    "export.chat.which": _m(
        "Quel document ? journal (d'activité) ou rapport (de situation).",
        "Which document? log (activity log) or sitrep (situation report).",
        "Welk document? logboek (activiteiten) of rapport (situatierapport).",
        "Welches Dokument? log (Tätigkeitsprotokoll) oder sitrep (Lagebericht).",
    ),
    "export.chat.unavailable": _m(
        "Les exports ne sont pas disponibles ici.",
        "Exports are not available here.",
        "Exports zijn hier niet beschikbaar.",
        "Exporte sind hier nicht verfügbar.",
    ),
    "export.chat.log": _m(
        "Journal d'activité", "Activity log", "Activiteitenlogboek", "Tätigkeitsprotokoll"
    ),
    "export.chat.sitrep": _m(
        "Rapport de situation du {day}",
        "Situation report for {day}",
        "Situatierapport van {day}",
        "Lagebericht vom {day}",
    ),
    "export.chat.written": _m(
        "{what} : fichier écrit sur la machine du bot, {path}",
        "{what}: file written on the bot's machine, {path}",
        "{what}: bestand geschreven op de machine van de bot, {path}",
        "{what}: Datei auf dem Rechner des Bots geschrieben, {path}",
    ),
}
MESSAGES.update(EXPORT_MESSAGES)

HASH_SHOWN = 12  # hex digits of an entry's hash in the listing
OPEN_JOB_STATES = ("draft", "running", "paused")


class HtmlTemplate(Protocol):
    """What an HTML renderer needs of a template (a ``jinja2.Template`` is one)."""

    def render(self, *args: Any, **kwargs: Any) -> str: ...


# --- shared pieces --------------------------------------------------------------------


def fmt_moment(dt: datetime, lang: Lang, tz: tzinfo) -> str:
    """An absolute local moment: "lundi 16 mai 2022 à 18:00"."""
    local = dt.astimezone(tz)
    return t(lang, "export.at", day=fmt_day(local.date(), lang), time=local.strftime("%H:%M"))


def zone_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


@dataclass(frozen=True)
class ChainStatus:
    """The ledger's verification, as the top of every export states it."""

    ok: bool
    checked: int
    last_hash: str | None  # the hash of the last entry when the chain verifies
    bad_seq: int | None
    text: str  # the localized line

    @property
    def broken_from(self) -> int | None:
        """Entries from this seq on are not covered by the hash chain (None: all are)."""
        if self.ok or self.bad_seq is None or self.checked >= self.bad_seq:
            return None
        return self.bad_seq


def reason_text(v: Verification, lang: Lang) -> str:
    """Why verification failed, in the reader's language."""
    return t(lang, f"export.reason.{v.code}", **v.args) if v.code else v.reason


def chain_status(v: Verification, last_hash: str | None, lang: Lang) -> ChainStatus:
    if v.ok:
        text = (
            t(lang, "export.chain.ok", n=v.checked, hash=last_hash)
            if v.checked and last_hash
            else t(lang, "export.chain.empty")
        )
        return ChainStatus(True, v.checked, last_hash, None, text)
    reason = reason_text(v, lang)
    if v.bad_seq is None:
        text = t(lang, "export.chain.nowhere", reason=reason, n=v.checked)
    elif v.checked >= v.bad_seq:  # the chain holds; a table disagrees with it
        text = t(lang, "export.chain.tables", seq=v.bad_seq, reason=reason, n=v.checked)
    else:
        text = t(lang, "export.chain.broken", seq=v.bad_seq, reason=reason, n=v.checked)
    return ChainStatus(False, v.checked, None, v.bad_seq, text)


def _made_line(made_at: datetime, made_by: str | None, lang: Lang, tz: tzinfo) -> str:
    when = fmt_moment(made_at, lang, tz)
    if made_by:
        return t(lang, "export.made.by", when=when, name=made_by)
    return t(lang, "export.made", when=when)


def full_note(note: str, lang: Lang) -> str:
    """The whole note (the record is internal), its internal part marked as such."""
    public, sep, internal = note.partition(NOTE_INTERNAL)
    if not sep or not internal.strip():
        return note.strip()
    if not public.strip():
        return t(lang, "export.note.internal", public="", internal=internal.strip()).strip()
    return t(lang, "export.note.internal", public=public.strip(), internal=internal.strip())


def sentence(text: str) -> str:
    """``text`` ending like a sentence (free text typed in chat often does not)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _title(organisation: str, title: str) -> str:
    return f"{organisation} — {title}" if organisation else title


def _scope(sites: Sequence[str], catalog: Catalog) -> tuple[str, ...]:
    if ALL_SITES in sites or (sites and set(sites) == set(catalog.site_ids)):
        return (ALL_SITES,)
    return tuple(sites)


def _known(lang: Lang, key: str, fallback: str) -> str:
    """The text of ``key``, or ``fallback`` for an entry type this version does not know."""
    return t(lang, key) if key in MESSAGES else fallback


def _labels(lang: Lang, *keys: str) -> dict[str, str]:
    return {k: t(lang, f"export.h.{k}") for k in keys}


# --- the activity log -----------------------------------------------------------------


@dataclass(frozen=True)
class LogRow:
    seq: int
    at: datetime  # local time
    type: str  # the ledger's entry type ("decision", "job-approved", ...)
    type_label: str
    name: str  # the name shown at the time ("Dr Martin")
    actor_id: str  # the stable id ("@martin:hospital.example")
    roles: tuple[str, ...]
    service: str  # display name; "" when the entry has none
    site: str  # display label; "" when the entry has none
    summary: str
    hash: str
    verified: bool  # covered by the verified part of the chain

    @property
    def time_iso(self) -> str:
        return self.at.isoformat(timespec="seconds")

    @property
    def time_short(self) -> str:
        return self.at.strftime("%H:%M")

    @property
    def short_hash(self) -> str:
        return self.hash[:HASH_SHOWN]

    @property
    def roles_text(self) -> str:
        return ", ".join(self.roles)

    @property
    def author(self) -> str:
        """ "Dr Martin (@martin:hospital.example)"; the id alone when it is the name."""
        return self.name if self.name == self.actor_id else f"{self.name} ({self.actor_id})"

    @property
    def author_roles(self) -> str:
        """ "Dr Martin (@martin:hospital.example) — cell, staff"."""
        return f"{self.author} — {self.roles_text}" if self.roles else self.author


@dataclass(frozen=True)
class LogDay:
    day: date
    title: str
    rows: tuple[LogRow, ...]


@dataclass(frozen=True)
class ActivityLog:
    lang: Lang
    title: str
    chain: ChainStatus
    period_line: str
    listed_line: str
    made_line: str
    tz_line: str
    internal_line: str
    empty_line: str
    unverified_label: str
    first: date
    last: date
    rows: tuple[LogRow, ...]
    labels: Mapping[str, str]

    @property
    def days(self) -> tuple[LogDay, ...]:
        """The rows grouped by local day, in order."""
        groups: dict[date, list[LogRow]] = {}
        for row in self.rows:
            groups.setdefault(row.at.date(), []).append(row)
        return tuple(LogDay(d, fmt_day(d, self.lang), tuple(rs)) for d, rs in groups.items())

    @property
    def header_lines(self) -> tuple[str, ...]:
        """Everything the top of the export states, the verification first."""
        return (
            self.chain.text,
            self.period_line,
            self.listed_line,
            f"{self.made_line}. {self.tz_line}",
            self.internal_line,
        )


class _Summaries:
    """One-line human summaries of ledger entries, in one language."""

    def __init__(self, catalog: Catalog, lang: Lang, tz: tzinfo) -> None:
        self.catalog = catalog
        self.lang = lang
        self.tz = tz
        self.decisions: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def remember(self, body: Mapping[str, Any]) -> None:
        if body.get("type") == "decision":
            payload = body.get("payload") or {}
            if isinstance(payload, dict) and isinstance(payload.get("no"), int):
                self.decisions[payload["no"]] = (dict(body), payload)

    def nos(self, nos: Sequence[int]) -> str:
        return ", ".join(t(self.lang, "decision.no_ref", no=n) for n in nos)

    def summary(self, body: Mapping[str, Any]) -> str:
        try:
            return self._summary(body)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return t(self.lang, "export.unreadable")

    def _decision_line(self, body: Mapping[str, Any], p: Mapping[str, Any]) -> dict[str, str]:
        c, lang = self.catalog, self.lang
        return {
            "service": c.service_name(str(body["service"]), lang),
            "site": c.site_name(str(body["site"] or ALL_SITES), lang),
            "status": c.status_name(str(p["status"]), lang),
            "period": fmt_period(
                date.fromisoformat(p["first_day"]),
                date.fromisoformat(p["last_day"]) if p["last_day"] else None,
                lang,
            ),
        }

    def _summary(self, body: Mapping[str, Any]) -> str:
        lang, c = self.lang, self.catalog
        kind = body["type"]
        p: Mapping[str, Any] = body["payload"]
        parts: list[str] = []
        if kind == "decision":
            parts.append(t(lang, "decision.line", no=p["no"], **self._decision_line(body, p)))
            if p.get("note"):
                parts.append(sentence(t(lang, "decision.note", note=full_note(p["note"], lang))))
            if p.get("supersedes"):
                parts.append(t(lang, "decision.supersedes", nos=self.nos(p["supersedes"])))
        elif kind == "revocation":
            known = self.decisions.get(p["no"])
            if known is not None:
                parts.append(t(lang, "revoke.done", no=p["no"], **self._decision_line(*known)))
            else:
                parts.append(t(lang, "export.revoked.short", no=p["no"]))
            if p.get("reason"):
                parts.append(sentence(t(lang, "revoke.reason", reason=p["reason"])))
        elif kind == "milestone":
            parts.append(
                t(
                    lang,
                    "export.milestone",
                    system=c.system_name(str(p["system"]), lang),
                    state=c.system_state_name(str(p["state"]), lang),
                )
            )
            if p.get("eta") and p["state"] != "restored":
                eta = datetime.fromisoformat(p["eta"])
                parts.append(t(lang, "alert.eta", eta=fmt_moment(eta, lang, self.tz)))
            if p.get("note"):
                parts.append(sentence(t(lang, "decision.note", note=p["note"])))
        elif kind.startswith("job-"):
            sites = _scope(list(p.get("sites") or ()), c)
            parts.append(
                t(
                    lang,
                    "export.job",
                    title=t(lang, "export.job.title", no=p["job"]),
                    kind=t(lang, f"job.kind.{p['kind']}"),
                    service=c.service_name(str(body["service"]), lang),
                    sites=c.sites_label(sites, lang),
                    period=fmt_period(
                        date.fromisoformat(p["first_day"]), date.fromisoformat(p["last_day"]), lang
                    ),
                    what=_known(lang, f"export.job.{kind}", kind),
                )
            )
            if p.get("decisions"):
                parts.append(t(lang, "export.job.decisions", nos=self.nos(p["decisions"])))
            if p.get("reason"):
                parts.append(sentence(t(lang, "revoke.reason", reason=self.tag(str(p["reason"])))))
        elif kind == "appointment-mark":
            parts.append(
                t(
                    lang,
                    "export.mark",
                    appointment=p["appointment"],
                    outcome=t(lang, f"marks.outcome.{p['outcome']}"),
                )
            )
            if p.get("note"):
                parts.append(sentence(t(lang, "decision.note", note=p["note"])))
        elif kind == "appointment-unmark":
            parts.append(t(lang, "export.unmark", appointment=p["appointment"]))
        elif kind == "call-list":
            parts.append(t(lang, "export.call_list", no=p["list"], calls=p["calls"]))
        elif kind == "call-outcome":
            parts.append(
                t(
                    lang,
                    "export.call_outcome",
                    no=p["list"],
                    appointment=p["appointment"],
                    outcome=p["outcome"],
                )
            )
        else:
            raise ValueError(kind)
        return " ".join(parts)

    def tag(self, reason: str) -> str:
        """A reason the bot wrote as a tag ("revoked-2") in words; a person's reason as is."""
        m = re.fullmatch(r"(revoked|decision)-(\d+)", reason)
        return t(self.lang, f"export.tag.{m[1]}", no=int(m[2])) if m else reason


def _body(entry: LedgerEntry) -> dict[str, Any]:
    try:
        body = json.loads(entry.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _author(body: Mapping[str, Any], entry: LedgerEntry) -> tuple[str, str, tuple[str, ...]]:
    """(name, id, roles) of the entry's actor, as the hashed body records them."""
    actor = body.get("actor")
    if not isinstance(actor, dict):
        return entry.actor_id, entry.actor_id, ()
    ident = str(actor.get("id") or entry.actor_id)
    roles = actor.get("roles")
    return (
        str(actor.get("name") or ident),
        ident,
        tuple(str(r) for r in roles) if isinstance(roles, list) else (),
    )


def _where(body: Mapping[str, Any], entry: LedgerEntry, catalog: Catalog, lang: Lang) -> str:
    if entry.type.startswith("job-"):
        p = body.get("payload")
        sites = p.get("sites") if isinstance(p, dict) else None
        if isinstance(sites, list) and sites:
            return catalog.sites_label(_scope([str(s) for s in sites], catalog), lang)
        return ""
    if entry.site is not None:
        return catalog.site_name(entry.site, lang)
    return catalog.site_name(ALL_SITES, lang) if entry.type in ("decision", "revocation") else ""


def build_log(
    entries: Sequence[LedgerEntry],
    verification: Verification,
    *,
    catalog: Catalog,
    lang: Lang,
    tz: tzinfo,
    made_at: datetime,
    first: date | None = None,
    last: date | None = None,
    organisation: str = "",
    made_by: str | None = None,
) -> ActivityLog:
    """The activity log of the entries whose local day is in [first, last].

    ``entries`` is the whole ledger in seq order (revocations are described with the
    decision they revoke, and the head hash is the last entry's); ``verification`` is
    ``bot.ledger.chain.verify`` of that same ledger.
    """
    last_hash = entries[-1].hash if entries else None
    chain = chain_status(verification, last_hash, lang)
    summaries = _Summaries(catalog, lang, tz)
    rows: list[LogRow] = []
    for entry in entries:
        body = _body(entry)
        summaries.remember(body)
        local = entry.at.astimezone(tz)
        if (first and local.date() < first) or (last and local.date() > last):
            continue
        name, actor_id, roles = _author(body, entry)
        broken = chain.broken_from
        rows.append(
            LogRow(
                seq=entry.seq,
                at=local,
                type=entry.type,
                type_label=_known(lang, f"export.type.{entry.type}", entry.type),
                name=name,
                actor_id=actor_id,
                roles=roles,
                service=catalog.service_name(entry.service, lang) if entry.service else "",
                site=_where(body, entry, catalog, lang),
                summary=summaries.summary(body) if body else t(lang, "export.unreadable"),
                hash=entry.hash,
                verified=broken is None or entry.seq < broken,
            )
        )
    today = made_at.astimezone(tz).date()
    start = entries[0].at.astimezone(tz).date() if entries else today
    end = entries[-1].at.astimezone(tz).date() if entries else today
    lo = first or (min(start, last) if last else start)
    hi = last or max(end, lo)
    period = (
        t(lang, "export.period.day", day=fmt_day(lo, lang))
        if lo == hi
        else t(lang, "export.period.range", first=fmt_day(lo, lang), last=fmt_day(hi, lang))
    )
    return ActivityLog(
        lang=lang,
        title=_title(organisation, t(lang, "export.log.title")),
        chain=chain,
        period_line=period,
        listed_line=t(lang, "export.listed", n=len(rows), total=len(entries)),
        made_line=_made_line(made_at, made_by, lang, tz),
        tz_line=t(lang, "export.tz", zone=zone_name(tz)),
        internal_line=t(lang, "export.internal"),
        empty_line=t(lang, "export.empty"),
        unverified_label=t(lang, "export.unverified"),
        first=lo,
        last=hi,
        rows=tuple(rows),
        labels=_labels(lang, "seq", "time", "type", "author", "summary", "hash"),
    )


CSV_COLUMNS = ("seq", "time", "type", "author", "roles", "service", "site", "summary", "hash")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a display name may start with "=")."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def log_csv(log: ActivityLog, *, delimiter: str = ",") -> str:
    """One row per entry under fixed English column names; the header lines come first,
    each a one-cell row starting with ``#`` (skip rows until the ``seq`` header)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for line in (log.title, *log.header_lines):
        writer.writerow([f"# {line}"])
    writer.writerow(CSV_COLUMNS)
    for r in log.rows:
        writer.writerow(
            [
                r.seq,
                r.time_iso,
                r.type,
                csv_safe(r.author),
                csv_safe(r.roles_text),
                csv_safe(r.service),
                csv_safe(r.site),
                csv_safe(r.summary),
                r.short_hash,
            ]
        )
    return out.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_text(text: str) -> str:
    """Text safe in Markdown, table cells included: one line, no markup, no raw HTML."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


md_cell = md_text


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    lines = ["| " + " | ".join(md_cell(h) for h in headers) + " |"]
    lines.append(
        "|" + "|".join("---:" if a == "r" else "---" for a in align.ljust(len(headers))) + "|"
    )
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _md_header(title: str, chain: ChainStatus, lines: Sequence[str]) -> list[str]:
    out = [f"# {md_text(title)}", ""]
    if chain.ok:
        out.append(f"**{md_text(chain.text)}**")
    else:
        out.append(f"> **⚠ {md_text(chain.text)}**")
    out.append("")
    out.extend(f"- {md_text(line)}" for line in lines)
    out.append("")
    return out


def log_markdown(log: ActivityLog) -> str:
    lines = _md_header(log.title, log.chain, log.header_lines[1:])
    if not log.rows:
        lines.extend([md_text(log.empty_line), ""])
    L = log.labels
    for day in log.days:
        lines.extend([f"## {md_text(day.title)}", ""])
        rows = [
            (
                str(r.seq) if r.verified else f"{r.seq} ⚠",
                r.time_short,
                md_cell(r.type_label),
                md_cell(r.author_roles),
                md_cell(r.summary),
                f"`{r.short_hash}`",
            )
            for r in day.rows
        ]
        headers = (L["seq"], L["time"], L["type"], L["author"], L["summary"], L["hash"])
        lines.extend(_md_table(headers, rows, align="r"))
        lines.append("")
    return "\n".join(lines)


def log_html(log: ActivityLog, template: HtmlTemplate) -> str:
    """The log through its HTML template (``adapters/templates/log.html``)."""
    return template.render(doc=log, L=log.labels)


# --- the situation report -------------------------------------------------------------


@dataclass(frozen=True)
class SitrepDecision:
    service: str
    sites: str
    status: str  # localized; "no decision recorded" when none
    status_id: str  # "open", ..., or "none" (for styling)
    decision: str  # "no. 3", "" when none
    period: str
    note: str


@dataclass(frozen=True)
class SitrepDay:
    day: date
    title: str
    rows: tuple[SitrepDecision, ...]


@dataclass(frozen=True)
class SystemRow:
    n: int
    system: str
    state: str
    state_id: str  # "down", ..., "restored", or "none"
    since: str
    eta: str
    note: str


@dataclass(frozen=True)
class JobRow:
    no: int
    title: str
    scope: str  # "SMS consultations, Arlon, on Monday 16 May 2022"
    state: str
    state_id: str
    counts: str  # "3 SMS: sent 3 · delivered 0 · ..."
    to_call: int


@dataclass(frozen=True)
class Sitrep:
    lang: Lang
    title: str
    day: date
    chain: ChainStatus
    period_line: str
    made_line: str
    tz_line: str
    internal_line: str
    days: tuple[SitrepDay, ...]
    plan_title: str
    progress_line: str
    progress: tuple[int, int]
    systems: tuple[SystemRow, ...]
    jobs_title: str
    jobs: tuple[JobRow, ...]
    jobs_empty: str
    open_title: str
    open_items: tuple[str, ...]
    open_empty: str
    labels: Mapping[str, str]

    @property
    def header_lines(self) -> tuple[str, ...]:
        return (
            self.chain.text,
            self.period_line,
            f"{self.made_line}. {self.tz_line}",
            self.internal_line,
        )


def _decision_rows(
    rows: Sequence[BoardRow], catalog: Catalog, lang: Lang
) -> tuple[SitrepDecision, ...]:
    out = []
    for row in rows:
        d = row.decision
        sites = catalog.sites_label(row.scope(catalog.site_ids), lang)
        name = catalog.service_name(row.service, lang)
        if d is None:
            out.append(SitrepDecision(name, sites, t(lang, "status.none"), "none", "", "", ""))
            continue
        out.append(
            SitrepDecision(
                name,
                sites,
                catalog.status_name(d.status, lang),
                str(d.status),
                t(lang, "decision.no_ref", no=d.no),
                fmt_period(d.first_day, d.last_day, lang),
                full_note(d.note, lang),
            )
        )
    return tuple(out)


def open_items(
    *,
    next_day: date,
    board_next: Sequence[BoardRow],
    milestones: Mapping[str, Milestone],
    jobs: Sequence[tuple[Job, Progress]],
    undeliverable: int,
    catalog: Catalog,
    lang: Lang,
    tz: tzinfo,
) -> tuple[str, ...]:
    """What the cell still has to do: decide, restore, approve, finish sending, phone."""
    items = [
        t(
            lang,
            "export.open.undecided",
            day=fmt_day(next_day, lang),
            service=catalog.service_name(row.service, lang),
            sites=catalog.sites_label(row.scope(catalog.site_ids), lang),
        )
        for row in board_next
        if row.decision is None
    ]
    for system in catalog.system_ids:
        m = milestones.get(system)
        if m is not None and m.state == "restored":
            continue
        eta = t(lang, "export.open.eta", eta=fmt_moment(m.eta, lang, tz)) if m and m.eta else ""
        state = catalog.system_state_name(m.state, lang) if m else t(lang, "export.no_state")
        items.append(
            t(
                lang,
                "export.open.system",
                system=catalog.system_name(system, lang),
                state=state,
                eta=eta,
            )
        )
    for job, p in jobs:
        if job.state == "draft":
            items.append(t(lang, "export.open.draft", no=job.no))
        elif job.state == "running":
            items.append(t(lang, "export.open.running", no=job.no, pending=p.open))
        elif job.state == "paused":
            items.append(t(lang, "export.open.paused", no=job.no, pending=p.open))
    for job, p in jobs:
        n = to_call(job, p)
        if job.state != "draft" and n:
            items.append(t(lang, "export.open.to_call", no=job.no, n=n))
    if undeliverable:
        items.append(t(lang, "export.open.undeliverable", n=undeliverable))
    return tuple(items)


def build_sitrep(
    *,
    day: date,
    board_today: Sequence[BoardRow],
    board_next: Sequence[BoardRow],
    milestones: Mapping[str, Milestone],
    jobs: Sequence[tuple[Job, Progress]],
    undeliverable: int,
    verification: Verification,
    last_hash: str | None,
    catalog: Catalog,
    lang: Lang,
    tz: tzinfo,
    made_at: datetime,
    organisation: str = "",
    made_by: str | None = None,
) -> Sitrep:
    """The situation report for ``day``: the board of that day and the next (as
    ``bot.ledger.decisions.board`` gives them), the plan's current milestones, the jobs to show
    with their progress, and how many chat messages could not be delivered."""
    next_day = day + timedelta(days=1)
    systems = []
    for n, system in enumerate(catalog.system_ids, start=1):
        m = milestones.get(system)
        name = catalog.system_name(system, lang)
        if m is None:
            systems.append(SystemRow(n, name, t(lang, "export.no_state"), "none", "", "", ""))
            continue
        systems.append(
            SystemRow(
                n,
                name,
                catalog.system_state_name(m.state, lang),
                m.state,
                fmt_moment(m.at, lang, tz),
                fmt_moment(m.eta, lang, tz) if m.eta and m.state != "restored" else "",
                m.note,
            )
        )
    done, total = progress(catalog, dict(milestones))
    job_rows = tuple(
        JobRow(
            no=job.no,
            title=t(lang, "export.job.title", no=job.no),
            scope=" ".join(
                (
                    t(lang, f"job.kind.{job.kind}"),
                    catalog.service_name(job.service, lang)
                    + ", "
                    + catalog.sites_label(_scope(job.sites, catalog), lang)
                    + ", "
                    + fmt_period(job.first_day, job.last_day, lang),
                )
            ),
            state=state_name(job.state, lang),
            state_id=job.state,
            counts=counts_line(p, lang),
            to_call=to_call(job, p) if job.state != "draft" else 0,
        )
        for job, p in jobs
    )
    return Sitrep(
        lang=lang,
        title=_title(organisation, t(lang, "export.sitrep.title", day=fmt_day(day, lang))),
        day=day,
        chain=chain_status(verification, last_hash, lang),
        period_line=t(
            lang,
            "export.sitrep.period",
            day=fmt_day(day, lang),
            next=fmt_day(next_day, lang),
        ),
        made_line=_made_line(made_at, made_by, lang, tz),
        tz_line=t(lang, "export.tz", zone=zone_name(tz)),
        internal_line=t(lang, "export.internal"),
        days=(
            SitrepDay(
                day,
                t(lang, "export.sitrep.in_force", day=fmt_day(day, lang)),
                _decision_rows(board_today, catalog, lang),
            ),
            SitrepDay(
                next_day,
                t(lang, "export.sitrep.in_force", day=fmt_day(next_day, lang)),
                _decision_rows(board_next, catalog, lang),
            ),
        ),
        plan_title=t(lang, "plan.title"),
        progress_line=t(lang, "plan.progress", bar=progress_bar(done, total)),
        progress=(done, total),
        systems=tuple(systems),
        jobs_title=t(lang, "jobs.title"),
        jobs=job_rows,
        jobs_empty=t(lang, "export.jobs.none"),
        open_title=t(lang, "export.open.title"),
        open_items=open_items(
            next_day=next_day,
            board_next=board_next,
            milestones=milestones,
            jobs=jobs,
            undeliverable=undeliverable,
            catalog=catalog,
            lang=lang,
            tz=tz,
        ),
        open_empty=t(lang, "export.open.none"),
        labels=_labels(
            lang,
            "service",
            "sites",
            "status",
            "decision",
            "period",
            "note",
            "seq",
            "system",
            "state",
            "since",
            "eta",
            "job",
            "scope",
            "messages",
            "to_call",
        ),
    )


def sitrep_markdown(s: Sitrep) -> str:
    L = s.labels
    lines = _md_header(s.title, s.chain, s.header_lines[1:])
    for day in s.days:
        lines.extend([f"## {md_text(day.title)}", ""])
        lines.extend(
            _md_table(
                (L["service"], L["sites"], L["status"], L["decision"], L["period"], L["note"]),
                [
                    (
                        md_cell(r.service),
                        md_cell(r.sites),
                        f"**{md_cell(r.status)}**"
                        if r.status_id != "none"
                        else f"_{md_cell(r.status)}_",
                        md_cell(r.decision),
                        md_cell(r.period),
                        md_cell(r.note),
                    )
                    for r in day.rows
                ],
            )
        )
        lines.append("")
    lines.extend([f"## {md_text(s.plan_title)}", "", md_text(s.progress_line), ""])
    lines.extend(
        _md_table(
            ("#", L["system"], L["state"], L["since"], L["eta"], L["note"]),
            [
                (
                    str(r.n),
                    md_cell(r.system),
                    md_cell(r.state),
                    md_cell(r.since),
                    md_cell(r.eta),
                    md_cell(r.note),
                )
                for r in s.systems
            ],
            align="r",
        )
    )
    lines.extend(["", f"## {md_text(s.jobs_title)}", ""])
    if s.jobs:
        lines.extend(
            _md_table(
                (L["job"], L["scope"], L["state"], L["messages"], L["to_call"]),
                [
                    (
                        md_cell(j.title),
                        md_cell(j.scope),
                        md_cell(j.state),
                        md_cell(j.counts),
                        str(j.to_call),
                    )
                    for j in s.jobs
                ],
                align="llllr",
            )
        )
    else:
        lines.append(md_text(s.jobs_empty))
    lines.extend(["", f"## {md_text(s.open_title)}", ""])
    if s.open_items:
        lines.extend(f"- {md_text(item)}" for item in s.open_items)
    else:
        lines.append(md_text(s.open_empty))
    lines.append("")
    return "\n".join(lines)


def sitrep_html(s: Sitrep, template: HtmlTemplate) -> str:
    """The report through its HTML template (``adapters/templates/sitrep.html``)."""
    return template.render(doc=s, L=s.labels)


@dataclass(frozen=True)
class ExportedFile:
    path: str  # where it was written, on the bot's machine
    attachment: Attachment  # the same file, for platforms that take files (Matrix)


class Exporter(Protocol):
    """What ``/export`` needs from the edges: render (from committed data, outside the
    command's write transaction) and write the file."""

    async def export(
        self,
        *,
        kind: Literal["log", "sitrep"],
        first: date | None,
        last: date | None,
        lang: Lang,
        now: datetime,
        made_by: str,
    ) -> ExportedFile: ...
