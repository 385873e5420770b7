// The auditor page: open a bid log (a file, or GET /log with the auditor's token), verify it
// in the browser with ./verify.js, and show the verdict, a summary, the timeline, and per lot
// a bid-history chart and the final ranking.
//
// Everything from the log is shown as text (textContent / attributes), never as HTML: a log
// can hold any text a bidder or auctioneer typed. Money and scores stay decimal strings,
// formatted by common.js; only the chart's pixel coordinates are Numbers.

import {
  $, bindLangSwitch, fmtClock, fmtMoney, fmtNumber, fmtTime, getLang, translator,
} from './common.js';
import {
  configInfo, decimalBetween, decimalRatio, compareDecimal, isDecimal, parsePublicKey, summarize, verifyLog,
} from './verify.js';

// ---------------------------------------------------------------------------------------
// Texts

const DICT = {
  nl: {
    docTitle: 'Biedlogboek controleren — veiling',
    skip: 'Naar de inhoud',
    title: 'Biedlogboek controleren',
    langLabel: 'Taal',
    intro: 'Deze pagina controleert een biedlogboek (veiling-log/1) volledig in uw browser: de hashketen, de nummering, de tijdsvolgorde en de Ed25519-handtekeningen van de controlepunten. Het logboek wordt nergens heen gestuurd.',
    openHeading: 'Logboek openen',
    pubkeyLabel: 'Gepubliceerde publieke sleutel van de server (optioneel)',
    pubkeyHint: '64 hexadecimale tekens, zoals "veiling keygen --show" ze toont. Neem de sleutel uit een onafhankelijke bron. Zonder sleutel wordt alleen gecontroleerd dat het logboek klopt met de sleutel in zijn eigen kop.',
    pubkeyBad: 'Dit is geen publieke sleutel: verwacht worden 64 hexadecimale tekens van een Ed25519-sleutel. Het logboek is niet gecontroleerd.',
    fileHeading: 'Uit een bestand',
    fileLabel: 'Logbestand',
    dropHint: 'Of sleep een logbestand naar dit vak.',
    dropActive: 'Laat los om dit bestand te controleren.',
    serverHeading: 'Van de server',
    tokenLabel: 'Auditortoken',
    tokenHint: 'Het token van de auditor (uit credentials.json). Het logboek wordt opgehaald bij deze server.',
    loadServer: 'Logboek van de server laden',
    tokenMissing: 'Vul eerst het auditortoken in.',
    loadingServer: 'Logboek ophalen bij de server…',
    err401: 'De server kent dit token niet (HTTP 401). Controleer het auditortoken.',
    err403: 'Dit token is geen auditortoken (HTTP 403): alleen de auditor mag het logboek ophalen.',
    err404: 'De server heeft geen veiling bij dit token (HTTP 404).',
    errHttp: 'De server antwoordde met HTTP {status}: {text}',
    errNetwork: 'De server is niet bereikbaar ({message}).',
    errRead: 'Het bestand kon niet worden gelezen ({message}).',
    verdictHeading: 'Oordeel',
    verdictNone: 'Nog geen logboek geopend.',
    verifying: 'Bezig met controleren… regel {line} ({percent}%).',
    verifyingStart: 'Bezig met controleren van {source}…',
    validSealed: 'GELDIG en verzegeld',
    validSealedText: 'Alle {lines} regels zijn gecontroleerd: keten, nummering, tijden en {checkpoints} handtekening(en). Het logboek eindigt met het laatste controlepunt: de veiling is afgelopen en er kan niets meer aan worden toegevoegd.',
    validUnsealed: 'GELDIG, maar niet verzegeld (veiling loopt nog)',
    validUnsealedText: 'Alle {lines} regels kloppen ({checkpoints} handtekening(en)), maar het logboek eindigt niet met het laatste controlepunt: de veiling loopt nog, of de server is gestopt. Regels na het laatste controlepunt zijn door geen handtekening gedekt.',
    invalid: 'ONGELDIG',
    invalidAt: 'Eerste probleem op regel {line}{seq}:',
    invalidNoLine: 'Probleem:',
    seqPart: ' (seq {seq})',
    codeLabel: 'code',
    technical: 'Melding van de controle:',
    tornNote: 'Dit is een onvolledige laatste regel (een schrijfactie die nooit is afgerond en dus nooit is bevestigd). De server knipt die af wanneer hij het logboek opent; in deze vorm is het logboek niet geldig.',
    stopNote: 'De controle stopt bij het eerste probleem. Hieronder staan alleen de {count} regels ervóór.',
    cannotCheck: 'NIET TE CONTROLEREN',
    keyGiven: 'Handtekeningen gecontroleerd met de opgegeven publieke sleutel',
    keyHeader: 'Handtekeningen gecontroleerd met de sleutel uit de kop van het logboek; die is niet vergeleken met een gepubliceerde sleutel van de server',
    keyGivenUsed: 'Publieke sleutel voor de controle (opgegeven)',
    keyHeaderUsed: 'Publieke sleutel voor de controle (uit de kop van het logboek, niet vergeleken met een gepubliceerde sleutel)',
    keyNone: 'Geen publieke sleutel om handtekeningen mee te controleren.',
    source: 'Bron',
    sourceFile: 'bestand {name}',
    sourceServer: 'server (GET /log)',
    summaryHeading: 'Samenvatting',
    sAuction: 'Veiling',
    sTitle: 'Titel',
    sEngine: 'Programma',
    sMode: 'Modus',
    sConfig: 'SHA-256 van de configuratie',
    sPubkey: 'Publieke sleutel',
    sHead: 'Kop van het logboek (hash van de laatste regel)',
    sLines: 'Regels',
    sInputs: 'Invoer',
    sInputsText: '{inputs} (geaccepteerd {accepted}, geweigerd {rejected}, herhaald {repeated})',
    sCheckpoints: 'Controlepunten (handtekeningen)',
    sSpan: 'Tijdvak',
    sSpanText: '{from} tot {to} ({duration}, Europe/Amsterdam)',
    sPhase: 'Stand van de veiling',
    sShift: 'Schema verschoven',
    sShiftText: '{duration} (schedule_shift_ms)',
    sDisqualified: 'Uitgesloten leveranciers',
    notChecked: 'niet vergeleken met een gepubliceerde sleutel',
    checked: 'gelijk aan de opgegeven sleutel',
    lotsHeading: 'Percelen',
    noLots: 'Geen percelen in het gecontroleerde deel van het logboek.',
    lotHeading: 'Perceel {lot}',
    lotStatus: 'Status: {phase}. Sluiting: {deadline}. Verlengingen: {extensions}. Biedingen: {bids}, ongeldig verklaard: {voided}.',
    chartTitle: 'Biedverloop perceel {lot}',
    chartDesc: '{bids} biedingen van {suppliers} leverancier(s) tussen {from} en {to}. Totaalprijs van {min} tot {max}. Stappen tonen het staande bod van elke leverancier; een kruisje is een ongeldig verklaard bod.',
    chartNone: 'Geen biedingen op dit perceel.',
    chartData: 'Gegevens van de grafiek als tabel',
    chartTableCaption: 'Alle geaccepteerde biedingen op perceel {lot}',
    legendVoided: 'ongeldig verklaard bod',
    axisTime: 'tijd',
    axisTotal: 'totaal',
    rankingCaptionAward: 'Eindrangschikking perceel {lot}: uit de gunning (gelezen uit het logboek)',
    rankingCaptionDerived: 'Stand perceel {lot}: afgeleid uit de biedingen (niet gegund)',
    rankingNone: 'Geen geldige biedingen: geen rangschikking.',
    rankingNote: 'Gegund: de winnaars uit de gunning zoals gelogd. Afgeleid: het laatste niet-ongeldig verklaarde bod van elke leverancier, uitgesloten leveranciers weggelaten, op score (laag eerst), bij gelijke score het eerdere bod eerst. Deze pagina herberekent de regels niet: daarvoor is "veiling replay".',
    reserveMet: 'Verborgen reserveprijs gehaald: {met}.',
    yes: 'ja',
    no: 'nee',
    cRank: 'Rang',
    cSupplier: 'Leverancier',
    cTotal: 'Totaal',
    cScore: 'Score',
    cBid: 'Bod',
    cSource: 'Bron',
    cTime: 'Tijd',
    cStatus: 'Status',
    cLine: 'Regel',
    cSeq: 'Seq',
    cWho: 'Wie',
    cCommand: 'Opdracht',
    cOutcome: 'Uitkomst',
    srcAward: 'gunning',
    srcDerived: 'afgeleid',
    srcDerivedNotWinner: 'afgeleid (niet bij de winnaars)',
    bidValid: 'geldig',
    bidVoided: 'ongeldig verklaard',
    timelineHeading: 'Tijdlijn',
    timelineCaption: 'Alle regels na de kop: invoer met hun uitkomst, en controlepunten ({count} regels)',
    timelineCaptionCapped: 'Regels na de kop: de eerste {first} en de laatste {last} van {count}',
    timelineGap: '… {n} regels niet getoond (het oordeel hierboven dekt wel elke regel) …',
    whoSystem: 'systeem',
    whoSupplier: 'leverancier {id}',
    whoAuctioneer: 'veilingmeester {id}',
    whoServer: 'server',
    checkpoint: 'controlepunt (handtekening over de keten tot seq {seq})',
    checkpointFinal: 'laatste controlepunt: verzegelt het logboek',
    sigOk: 'handtekening geldig',
    accepted: 'geaccepteerd',
    acceptedNothing: 'geaccepteerd (geen gebeurtenissen)',
    rejected: 'geweigerd: {code}',
    repeated: 'herhaling van bod #{bid} (niets veranderd)',
    unknownOutcome: 'onbekende uitkomst',
    opTick: 'klok (tick)',
    opBidPrice: 'bod op {lot}: {price} (id {id})',
    opBidLines: 'bod op {lot}: regelprijzen {lines} (id {id})',
    opPause: 'pauzeren: {reason}',
    opResume: 'hervatten: {reason}',
    opExtend: '{lot} verlengen met {duration}: {reason}',
    opVoid: 'bod #{bid} ongeldig verklaren: {reason}',
    opDisqualify: 'leverancier {supplier} uitsluiten: {reason}',
    opMessage: 'bericht ({reason}): {text}',
    opTerminate: 'veiling beëindigen: {reason}',
    opAward: '{lot} gunnen: {reason}',
    opApprove: 'verzoek #{request} goedkeuren',
    opDecline: 'verzoek #{request} afwijzen: {reason}',
    opKeep: 'prijs behouden op {lot} (beëindigt de beurt)',
    opInitialPrice: 'beginprijs van {supplier} op {lot}: {price}',
    opInitialLines: 'beginprijs van {supplier} op {lot}: regelprijzen {lines}',
    evAuctionOpened: 'veiling geopend',
    evLotOpened: '{lot} geopend, sluit {deadline}',
    evLotScheduled: '{lot} opent {time}',
    evBidAccepted: 'bod #{bid} van {supplier} op {lot}: totaal {total}, score {score}',
    evLotExtendedBid: '{lot} verlengd van {from} tot {to} (soft close door bod #{bid}, {n}e verlenging)',
    evLotExtendedHand: '{lot} verlengd van {from} tot {to} door {by}: {reason}',
    evLotClosed: '{lot} gesloten',
    evAuctionClosed: 'veiling gesloten (alle percelen dicht)',
    evPaused: 'veiling gepauzeerd door {by}: {reason}',
    evResumed: 'veiling hervat door {by} na {duration}: {reason}',
    evRequested: 'verzoek #{request} van {by}: {action} (wacht op een tweede veilingmeester): {reason}',
    evApproved: 'verzoek #{request} goedgekeurd door {by}',
    evDeclined: 'verzoek #{request} afgewezen door {by}: {reason}',
    evVoided: 'bod #{bid} van {supplier} op {lot} ongeldig verklaard (gevraagd door {by}): {reason}',
    evDisqualified: 'leverancier {supplier} uitgesloten door {by}: {reason}',
    evMessage: 'bericht van {by}: {text}',
    evTerminated: 'veiling beëindigd door {by}: {reason}',
    evAwarded: '{lot} gegund door {by} aan {winners}: {reason}',
    evAwardedNone: '{lot} afgesloten door {by} zonder winnaar: {reason}',
    evAuctionAwarded: 'alle percelen gegund',
    evBidInitial: 'beginprijs #{bid} van {supplier} op {lot}: totaal {total}, score {score}',
    evTurnRound: '{lot}: ronde {round} met beurten geopend, eerste beurt {time}; volgorde (slechtste score eerst): {order}',
    evTurnStarted: '{lot}: beurt {turn} van ronde {round} voor {supplier}, tot {time}',
    evTurnEndedKept: '{lot}: beurt {turn} van ronde {round} ({supplier}) voorbij, prijs behouden',
    evTurnEndedBid: '{lot}: beurt {turn} van ronde {round} ({supplier}) voorbij met bod #{bid}',
    bidInitial: 'beginprijs',
    actVoid: 'bod #{bid} ongeldig verklaren',
    actDisqualify: 'leverancier {supplier} uitsluiten',
    actTerminate: 'veiling beëindigen',
    phase_scheduled: 'gepland',
    phase_open: 'open',
    phase_paused: 'gepauzeerd',
    phase_closed: 'gesloten',
    phase_awarded: 'gegund',
    phase_terminated: 'beëindigd',
    none: '—',
    problem_torn_tail: 'De laatste regel is onvolledig (een afgebroken schrijfactie).',
    problem_line_too_long: 'Een regel is langer dan 8 MiB.',
    problem_not_json: 'Een regel is geen JSON.',
    problem_not_object: 'Een regel is geen JSON-object.',
    problem_not_canonical: 'Een regel staat niet in de canonieke vorm (volgorde van sleutels, spaties, escapes of regeleinde wijken af).',
    problem_not_integer: 'Een getal is geen geheel getal; het logboek bevat geen kommagetallen.',
    problem_no_seq: 'De regel heeft geen geldig volgnummer.',
    problem_bad_seq: 'Het volgnummer klopt niet: er ontbreekt een regel, er is een regel bijgekomen of de volgorde is veranderd.',
    problem_chain_broken: 'De hashketen is verbroken: de regel ervoor is gewijzigd, verwijderd of ingevoegd.',
    problem_no_time: 'De regel heeft geen geldige tijd.',
    problem_time_went_back: 'De tijd gaat terug ten opzichte van de regel ervoor.',
    problem_after_seal: 'Er staat een regel na het laatste controlepunt: het logboek was al verzegeld.',
    problem_bad_fields: 'De regel heeft niet precies de velden van zijn soort.',
    problem_header_field: 'Een veld van de kop heeft het verkeerde type.',
    problem_bad_format: 'Onbekend logformaat.',
    problem_config_hash: 'De hash van de configuratie klopt niet.',
    problem_key_mismatch: 'De kop noemt een andere publieke sleutel dan de opgegeven sleutel van de server.',
    problem_bad_pubkey: 'De publieke sleutel in de kop is geen Ed25519-sleutel.',
    problem_second_header: 'Er staat een tweede kop in het logboek.',
    problem_first_not_header: 'De eerste regel is geen kop.',
    problem_checkpoint_head: 'Een controlepunt noemt niet de regel ervoor (of volgt op een ander controlepunt).',
    problem_final_not_boolean: 'Het veld final van een controlepunt is geen true/false.',
    problem_bad_sig_format: 'De handtekening heeft niet de vorm van 128 hexadecimale tekens.',
    problem_no_key: 'Er is een controlepunt maar geen publieke sleutel om het te controleren.',
    problem_bad_signature: 'De handtekening van een controlepunt klopt niet.',
    problem_unknown_kind: 'Onbekende soort regel.',
    problem_empty_log: 'Het logboek is leeg.',
    problem_no_webcrypto: 'Deze browser biedt geen WebCrypto: open de pagina via https of localhost.',
    problem_no_ed25519: 'Deze browser kan Ed25519-handtekeningen niet controleren: gebruik een recente browser.',
  },
  en: {
    docTitle: 'Audit a bid log — veiling',
    skip: 'Skip to content',
    title: 'Audit a bid log',
    langLabel: 'Language',
    intro: 'This page checks a bid log (veiling-log/1) entirely in your browser: the hash chain, the numbering, the order of times and the Ed25519 signatures of the checkpoints. The log is not sent anywhere.',
    openHeading: 'Open a log',
    pubkeyLabel: "The server's published public key (optional)",
    pubkeyHint: '64 hex digits, as "veiling keygen --show" prints them. Take the key from an independent source. Without a key, the page only checks that the log is consistent with the key in its own header.',
    pubkeyBad: 'This is not a public key: expected 64 hex digits of an Ed25519 key. The log was not checked.',
    fileHeading: 'From a file',
    fileLabel: 'Log file',
    dropHint: 'Or drop a log file onto this box.',
    dropActive: 'Release to check this file.',
    serverHeading: 'From the server',
    tokenLabel: 'Auditor token',
    tokenHint: "The auditor's token (from credentials.json). The log is fetched from this server.",
    loadServer: 'Load the log from the server',
    tokenMissing: 'Enter the auditor token first.',
    loadingServer: 'Fetching the log from the server…',
    err401: 'The server does not know this token (HTTP 401). Check the auditor token.',
    err403: 'This is not an auditor token (HTTP 403): only the auditor may fetch the log.',
    err404: 'The server has no auction for this token (HTTP 404).',
    errHttp: 'The server answered HTTP {status}: {text}',
    errNetwork: 'The server cannot be reached ({message}).',
    errRead: 'The file could not be read ({message}).',
    verdictHeading: 'Verdict',
    verdictNone: 'No log opened yet.',
    verifying: 'Checking… line {line} ({percent}%).',
    verifyingStart: 'Checking {source}…',
    validSealed: 'VALID and sealed',
    validSealedText: 'All {lines} lines were checked: chain, numbering, times and {checkpoints} signature(s). The log ends with the final checkpoint: the auction is over and nothing can be added.',
    validUnsealed: 'VALID, but not sealed (auction still running)',
    validUnsealedText: 'All {lines} lines are correct ({checkpoints} signature(s)), but the log does not end with the final checkpoint: the auction is still running, or the server stopped. Lines after the last checkpoint are covered by no signature.',
    invalid: 'INVALID',
    invalidAt: 'First problem at line {line}{seq}:',
    invalidNoLine: 'Problem:',
    seqPart: ' (seq {seq})',
    codeLabel: 'code',
    technical: "The verifier's message:",
    tornNote: 'This is an incomplete last line (a write that never completed and so was never acknowledged). The server cuts it off when it opens the log; in this form the log is not valid.',
    stopNote: 'Checking stops at the first problem. Below are only the {count} lines before it.',
    cannotCheck: 'CANNOT CHECK',
    keyGiven: 'Signatures checked with the given public key',
    keyHeader: "Signatures checked with the key in the log's own header; it was not checked against a published key of the server",
    keyGivenUsed: 'Public key for the check (given)',
    keyHeaderUsed: "Public key for the check (from the log's own header, not checked against a published key)",
    keyNone: 'No public key to check signatures with.',
    source: 'Source',
    sourceFile: 'file {name}',
    sourceServer: 'server (GET /log)',
    summaryHeading: 'Summary',
    sAuction: 'Auction',
    sTitle: 'Title',
    sEngine: 'Engine',
    sMode: 'Mode',
    sConfig: 'SHA-256 of the config',
    sPubkey: 'Public key',
    sHead: 'Head of the log (hash of the last line)',
    sLines: 'Lines',
    sInputs: 'Inputs',
    sInputsText: '{inputs} (accepted {accepted}, rejected {rejected}, repeated {repeated})',
    sCheckpoints: 'Checkpoints (signatures)',
    sSpan: 'Time span',
    sSpanText: '{from} to {to} ({duration}, Europe/Amsterdam)',
    sPhase: 'State of the auction',
    sShift: 'Schedule shifted',
    sShiftText: '{duration} (schedule_shift_ms)',
    sDisqualified: 'Disqualified suppliers',
    notChecked: 'not checked against a published key',
    checked: 'equal to the given key',
    lotsHeading: 'Lots',
    noLots: 'No lots in the verified part of the log.',
    lotHeading: 'Lot {lot}',
    lotStatus: 'Status: {phase}. Deadline: {deadline}. Extensions: {extensions}. Bids: {bids}, voided: {voided}.',
    chartTitle: 'Bid history of lot {lot}',
    chartDesc: '{bids} bids by {suppliers} supplier(s) between {from} and {to}. Totals from {min} to {max}. Steps show each supplier\'s standing bid; a cross is a voided bid.',
    chartNone: 'No bids on this lot.',
    chartData: 'The chart\'s data as a table',
    chartTableCaption: 'Every accepted bid on lot {lot}',
    legendVoided: 'voided bid',
    axisTime: 'time',
    axisTotal: 'total',
    rankingCaptionAward: 'Final ranking of lot {lot}: from the award (read from the log)',
    rankingCaptionDerived: 'Standings of lot {lot}: derived from the bids (not awarded)',
    rankingNone: 'No valid bids: no ranking.',
    rankingNote: 'Award: the winners of the award as logged. Derived: each supplier\'s last accepted bid that was not voided, disqualified suppliers left out, by score (lowest first), equal scores the earlier bid first. This page does not recompute the rules: "veiling replay" does.',
    reserveMet: 'Hidden reserve met: {met}.',
    yes: 'yes',
    no: 'no',
    cRank: 'Rank',
    cSupplier: 'Supplier',
    cTotal: 'Total',
    cScore: 'Score',
    cBid: 'Bid',
    cSource: 'Source',
    cTime: 'Time',
    cStatus: 'Status',
    cLine: 'Line',
    cSeq: 'Seq',
    cWho: 'Who',
    cCommand: 'Command',
    cOutcome: 'Outcome',
    srcAward: 'award',
    srcDerived: 'derived',
    srcDerivedNotWinner: 'derived (not among the winners)',
    bidValid: 'valid',
    bidVoided: 'voided',
    timelineHeading: 'Timeline',
    timelineCaption: 'Every line after the header: inputs with their outcome, and checkpoints ({count} lines)',
    timelineCaptionCapped: 'Lines after the header: the first {first} and the last {last} of {count}',
    timelineGap: '… {n} lines not shown (the verdict above does cover every line) …',
    whoSystem: 'system',
    whoSupplier: 'supplier {id}',
    whoAuctioneer: 'auctioneer {id}',
    whoServer: 'server',
    checkpoint: 'checkpoint (signature over the chain up to seq {seq})',
    checkpointFinal: 'final checkpoint: seals the log',
    sigOk: 'signature valid',
    accepted: 'accepted',
    acceptedNothing: 'accepted (no events)',
    rejected: 'rejected: {code}',
    repeated: 'repeat of bid #{bid} (nothing changed)',
    unknownOutcome: 'unknown outcome',
    opTick: 'clock (tick)',
    opBidPrice: 'bid on {lot}: {price} (id {id})',
    opBidLines: 'bid on {lot}: line prices {lines} (id {id})',
    opPause: 'pause: {reason}',
    opResume: 'resume: {reason}',
    opExtend: 'extend {lot} by {duration}: {reason}',
    opVoid: 'void bid #{bid}: {reason}',
    opDisqualify: 'disqualify supplier {supplier}: {reason}',
    opMessage: 'message ({reason}): {text}',
    opTerminate: 'terminate the auction: {reason}',
    opAward: 'award {lot}: {reason}',
    opApprove: 'approve request #{request}',
    opDecline: 'decline request #{request}: {reason}',
    opKeep: 'keep the price on {lot} (ends the turn)',
    opInitialPrice: 'initial price of {supplier} on {lot}: {price}',
    opInitialLines: 'initial price of {supplier} on {lot}: line prices {lines}',
    evAuctionOpened: 'auction opened',
    evLotOpened: '{lot} opened, closes {deadline}',
    evLotScheduled: '{lot} opens {time}',
    evBidAccepted: 'bid #{bid} by {supplier} on {lot}: total {total}, score {score}',
    evLotExtendedBid: '{lot} extended from {from} to {to} (soft close by bid #{bid}, extension {n})',
    evLotExtendedHand: '{lot} extended from {from} to {to} by {by}: {reason}',
    evLotClosed: '{lot} closed',
    evAuctionClosed: 'auction closed (every lot closed)',
    evPaused: 'auction paused by {by}: {reason}',
    evResumed: 'auction resumed by {by} after {duration}: {reason}',
    evRequested: 'request #{request} by {by}: {action} (waits for a second auctioneer): {reason}',
    evApproved: 'request #{request} approved by {by}',
    evDeclined: 'request #{request} declined by {by}: {reason}',
    evVoided: 'bid #{bid} by {supplier} on {lot} voided (asked by {by}): {reason}',
    evDisqualified: 'supplier {supplier} disqualified by {by}: {reason}',
    evMessage: 'message from {by}: {text}',
    evTerminated: 'auction terminated by {by}: {reason}',
    evAwarded: '{lot} awarded by {by} to {winners}: {reason}',
    evAwardedNone: '{lot} awarded by {by} with no winner: {reason}',
    evAuctionAwarded: 'every lot awarded',
    evBidInitial: 'initial price #{bid} of {supplier} on {lot}: total {total}, score {score}',
    evTurnRound: '{lot}: round {round} of turns opened, first turn {time}; order (worst score first): {order}',
    evTurnStarted: '{lot}: turn {turn} of round {round} for {supplier}, until {time}',
    evTurnEndedKept: '{lot}: turn {turn} of round {round} ({supplier}) over, price kept',
    evTurnEndedBid: '{lot}: turn {turn} of round {round} ({supplier}) over with bid #{bid}',
    bidInitial: 'initial',
    actVoid: 'void bid #{bid}',
    actDisqualify: 'disqualify supplier {supplier}',
    actTerminate: 'terminate the auction',
    phase_scheduled: 'scheduled',
    phase_open: 'open',
    phase_paused: 'paused',
    phase_closed: 'closed',
    phase_awarded: 'awarded',
    phase_terminated: 'terminated',
    none: '—',
  },
};

const t = translator(DICT);
const lang = () => getLang();

// ---------------------------------------------------------------------------------------
// DOM helpers (text only; no innerHTML anywhere)

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}


/** A safe id fragment for element ids built from lot ids (already [A-Za-z0-9_.-]; '#N' is not). */
function idPart(x) {
  return String(x).replace(/[^A-Za-z0-9_-]/g, (c) => '_' + c.charCodeAt(0).toString(16));
}

// ---------------------------------------------------------------------------------------
// Formatting

const num = (v) => (typeof v === 'bigint' ? Number(v) : v);
const money = (v) => (isDecimal(v) ? fmtMoney(v, lang()) : str(v));
const score = (v) => (isDecimal(v) ? fmtNumber(v, lang()) : str(v));
const time = (ms) => (typeof num(ms) === 'number' ? fmtTime(num(ms), lang()) : t('none'));
const clock = (ms) => (typeof num(ms) === 'number' ? fmtClock(num(ms), lang()) : t('none'));

/** Any logged value as short text (ids, reasons; objects as JSON). */
function str(v) {
  if (v === null || v === undefined) return t('none');
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return String(v);
  }
}

function duration(ms) {
  ms = num(ms);
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return t('none');
  const neg = ms < 0;
  let sec = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(sec / 86400); sec -= d * 86400;
  const hh = Math.floor(sec / 3600); sec -= hh * 3600;
  const mm = Math.floor(sec / 60); sec -= mm * 60;
  const en = lang() === 'en';
  const parts = [];
  if (d) parts.push(`${d} ${en ? 'd' : 'd'}`);
  if (hh) parts.push(`${hh} ${en ? 'h' : 'u'}`);
  if (mm) parts.push(`${mm} min`);
  if (sec || !parts.length) parts.push(`${sec} s`);
  return (neg ? '-' : '') + parts.join(' ');
}

let names = { suppliers: new Map(), lots: new Map() };

function supplierName(id) {
  const n = names.suppliers.get(id);
  return n ? `${id} (${n})` : str(id);
}

function lotName(id) {
  const n = names.lots.get(id);
  return n ? `${id} (${n})` : str(id);
}

function who(w) {
  if (w === 'system') return t('whoSystem');
  if (typeof w === 'string' && w.startsWith('supplier:')) return t('whoSupplier', { id: supplierName(w.slice(9)) });
  if (typeof w === 'string' && w.startsWith('auctioneer:')) return t('whoAuctioneer', { id: w.slice(11) });
  return str(w);
}

function command(cmd) {
  if (!cmd || typeof cmd !== 'object') return str(cmd);
  const v = {
    lot: lotName(cmd.lot), reason: str(cmd.reason), text: str(cmd.text), id: str(cmd.client_bid_id),
    bid: str(cmd.bid), request: str(cmd.request), supplier: supplierName(cmd.supplier),
  };
  switch (cmd.op) {
    case 'tick': return t('opTick');
    case 'bid':
      if (Array.isArray(cmd.lines)) return t('opBidLines', { ...v, lines: cmd.lines.map(money).join('; ') });
      return t('opBidPrice', { ...v, price: money(cmd.price) });
    case 'pause': return t('opPause', v);
    case 'resume': return t('opResume', v);
    case 'extend': return t('opExtend', { ...v, duration: duration(cmd.by_ms) });
    case 'void': return t('opVoid', v);
    case 'disqualify': return t('opDisqualify', v);
    case 'message': return t('opMessage', v);
    case 'terminate': return t('opTerminate', v);
    case 'award': return t('opAward', v);
    case 'approve': return t('opApprove', v);
    case 'decline': return t('opDecline', v);
    case 'keep': return t('opKeep', v);
    case 'initial_bid':
      if (Array.isArray(cmd.lines)) return t('opInitialLines', { ...v, lines: cmd.lines.map(money).join('; ') });
      return t('opInitialPrice', { ...v, price: money(cmd.price) });
    default: return str(cmd);
  }
}

function action(a) {
  if (!a || typeof a !== 'object') return str(a);
  if (a.op === 'void') return t('actVoid', { bid: str(a.bid) });
  if (a.op === 'disqualify') return t('actDisqualify', { supplier: supplierName(a.supplier) });
  if (a.op === 'terminate') return t('actTerminate');
  return str(a);
}

function eventText(ev) {
  const v = {
    lot: lotName(ev.lot), by: str(ev.by), reason: str(ev.reason), text: str(ev.text),
    supplier: supplierName(ev.supplier), bid: str(ev.bid), request: str(ev.request),
  };
  switch (ev.event) {
    case 'auction_opened': return t('evAuctionOpened');
    case 'lot_opened': return t('evLotOpened', { ...v, deadline: time(ev.deadline) });
    case 'lot_scheduled': return t('evLotScheduled', { ...v, time: time(ev.opens_at) });
    case 'bid_accepted':
      return t(ev.client_bid_id === '' ? 'evBidInitial' : 'evBidAccepted', { ...v, total: money(ev.total), score: score(ev.score) });
    case 'turn_round_opened': {
      const order = Array.isArray(ev.order) ? ev.order.map(supplierName).join(', ') : t('none');
      return t('evTurnRound', { ...v, round: str(ev.round), time: time(ev.starts_at), order });
    }
    case 'turn_started':
      return t('evTurnStarted', { ...v, round: str(ev.round), turn: str(ev.turn), time: time(ev.ends_at) });
    case 'turn_ended':
      return ev.bid === null || ev.bid === undefined
        ? t('evTurnEndedKept', { ...v, round: str(ev.round), turn: str(ev.turn) })
        : t('evTurnEndedBid', { ...v, round: str(ev.round), turn: str(ev.turn) });
    case 'lot_extended':
      if (ev.cause === 'bid') {
        return t('evLotExtendedBid', { ...v, from: clock(ev.from), to: clock(ev.to), n: str(ev.extensions_used) });
      }
      return t('evLotExtendedHand', { ...v, from: clock(ev.from), to: clock(ev.to) });
    case 'lot_closed': return t('evLotClosed', v);
    case 'auction_closed': return t('evAuctionClosed');
    case 'auction_paused': return t('evPaused', v);
    case 'auction_resumed': return t('evResumed', { ...v, duration: duration(ev.paused_ms) });
    case 'action_requested': return t('evRequested', { ...v, action: action(ev.action) });
    case 'action_approved': return t('evApproved', v);
    case 'action_declined': return t('evDeclined', v);
    case 'bid_voided': return t('evVoided', v);
    case 'supplier_disqualified': return t('evDisqualified', v);
    case 'message_sent': return t('evMessage', v);
    case 'auction_terminated': return t('evTerminated', v);
    case 'lot_awarded': {
      const winners = Array.isArray(ev.winners) ? ev.winners : [];
      if (!winners.length) return t('evAwardedNone', v);
      const list = winners.map((w) => `${str(w.rank)}. ${supplierName(w.supplier)} (#${str(w.bid)}, ${money(w.total)})`).join('; ');
      return t('evAwarded', { ...v, winners: list });
    }
    case 'auction_awarded': return t('evAuctionAwarded');
    default: return str(ev);
  }
}

function rejection(rej) {
  if (!rej || typeof rej !== 'object') return [t('rejected', { code: str(rej) }), null];
  const details = Object.keys(rej)
    .filter((k) => k !== 'code')
    .sort()
    .map((k) => `${k} ${isDecimal(rej[k]) && /\./.test(rej[k]) ? money(rej[k]) : str(rej[k])}`)
    .join(', ');
  return [t('rejected', { code: str(rej.code) }), details || null];
}

// ---------------------------------------------------------------------------------------
// State

const state = {
  bytes: null,
  source: null, // {kind: 'file', name} | {kind: 'server'}
  result: null,
  summary: null,
  pubkeyGiven: false,
  run: 0,
  busy: false,
  error: null, // {key, vars} of the last load error
};

// ---------------------------------------------------------------------------------------
// Static texts and language

function renderStatic() {
  document.title = t('docTitle');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  const zone = $('drop-zone');
  $('drop-hint').textContent = zone.classList.contains('dragging') ? t('dropActive') : t('dropHint');
  showPubkeyError(state.pubkeyBad);
  showLoadError(state.error);
}

function rerender() {
  renderStatic();
  renderVerdict();
  renderResults();
}

// ---------------------------------------------------------------------------------------
// Loading

function showLoadError(err) {
  state.error = err;
  const p = $('load-error');
  if (!err) {
    p.hidden = true;
    p.textContent = '';
    return;
  }
  p.textContent = t(err.key, err.vars || {});
  p.hidden = false;
}

function showPubkeyError(bad) {
  state.pubkeyBad = bad;
  const input = $('pubkey');
  const p = $('pubkey-error');
  if (bad) {
    input.setAttribute('aria-invalid', 'true');
    p.textContent = t('pubkeyBad');
    p.hidden = false;
  } else {
    input.removeAttribute('aria-invalid');
    p.textContent = '';
    p.hidden = true;
  }
}

/** The key in the field: undefined (empty), null (not a key) or the 64 hex digits. */
function pubkeyFromField() {
  // Whitespace, a "0x" or upper-case hex are accepted here for convenience.
  const raw = $('pubkey').value.trim().toLowerCase().replace(/^0x/, '');
  if (raw === '') return undefined;
  return parsePublicKey(raw) ? raw : null;
}

async function readFile(file) {
  if (!file) return;
  showLoadError(null);
  try {
    const buf = await file.arrayBuffer();
    await check(new Uint8Array(buf), { kind: 'file', name: file.name });
  } catch (e) {
    showLoadError({ key: 'errRead', vars: { message: e && e.message ? e.message : String(e) } });
  }
}

async function loadFromServer() {
  const token = $('token').value.trim();
  if (!token) {
    showLoadError({ key: 'tokenMissing' });
    $('token').focus();
    return;
  }
  showLoadError(null);
  const button = $('load-server');
  button.disabled = true;
  setVerdictBusy(t('loadingServer'));
  let res;
  try {
    res = await fetch('/log', { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
  } catch (e) {
    button.disabled = false;
    restoreVerdict();
    showLoadError({ key: 'errNetwork', vars: { message: e && e.message ? e.message : String(e) } });
    return;
  }
  try {
    if (!res.ok) {
      restoreVerdict();
      const key = { 401: 'err401', 403: 'err403', 404: 'err404' }[res.status] || 'errHttp';
      let text = '';
      try { text = (await res.text()).trim().slice(0, 300); } catch { /* ignore */ }
      showLoadError({ key, vars: { status: res.status, text } });
      return;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    await check(bytes, { kind: 'server' });
  } catch (e) {
    restoreVerdict();
    showLoadError({ key: 'errNetwork', vars: { message: e && e.message ? e.message : String(e) } });
  } finally {
    button.disabled = false;
  }
}

async function check(bytes, source) {
  const pubkey = pubkeyFromField();
  showPubkeyError(pubkey === null);
  state.bytes = bytes;
  state.source = source;
  if (pubkey === null) {
    // Not verified: a wrong key field would give a misleading verdict.
    state.result = null;
    state.summary = null;
    renderVerdict();
    renderResults();
    $('pubkey').focus();
    return;
  }
  const run = ++state.run;
  state.busy = true;
  const label = source.kind === 'file' ? t('sourceFile', { name: source.name }) : t('sourceServer');
  setVerdictBusy(t('verifyingStart', { source: label }));
  let result;
  try {
    result = await verifyLog(bytes, {
      pubkey,
      unsealedOk: true,
      yieldEvery: 2000,
      onProgress: ({ line, offset, size }) => {
        if (run !== state.run) return;
        const percent = size ? Math.floor((offset / size) * 100) : 100;
        setVerdictBusy(t('verifying', { line, percent }));
      },
    });
  } finally {
    if (run === state.run) state.busy = false;
  }
  if (run !== state.run) return; // a later check replaced this one
  state.result = result;
  state.pubkeyGiven = pubkey !== undefined;
  state.summary = summarize(result.records);
  const info = configInfo(result.header ? result.header.config : null);
  names = {
    suppliers: new Map(info.suppliers.filter((x) => x.name).map((x) => [x.id, x.name])),
    lots: new Map(info.lots.filter((x) => x.name).map((x) => [x.id, x.name])),
  };
  renderVerdict();
  renderResults();
}

// ---------------------------------------------------------------------------------------
// Verdict

function setVerdictBusy(text) {
  const v = $('verdict');
  v.removeAttribute('data-verdict');
  v.setAttribute('aria-busy', 'true');
  v.className = 'verdict busy';
  v.replaceChildren(h('p', { class: 'verdict-title' }, text));
}

function restoreVerdict() {
  renderVerdict();
}

function verdictKind(r) {
  if (!r) return null;
  const p = r.problems[0];
  if (p && (p.code === 'no_webcrypto' || p.code === 'no_ed25519')) return 'error';
  if (!r.verified) return 'invalid';
  return r.sealed ? 'valid-sealed' : 'valid-unsealed';
}

function renderVerdict() {
  if (state.busy) return; // the progress text stays until the check ends
  const v = $('verdict');
  v.removeAttribute('aria-busy');
  const r = state.result;
  if (!r) {
    v.removeAttribute('data-verdict');
    v.className = 'verdict';
    v.replaceChildren(h('p', { class: 'verdict-title' }, state.pubkeyBad && state.bytes ? t('pubkeyBad') : t('verdictNone')));
    return;
  }
  const kind = verdictKind(r);
  v.setAttribute('data-verdict', kind);
  const out = [];
  if (kind === 'valid-sealed' || kind === 'valid-unsealed') {
    const sealed = kind === 'valid-sealed';
    v.className = 'verdict ' + (sealed ? 'ok' : 'warn');
    out.push(h('p', { class: 'verdict-title' }, h('span', { class: 'verdict-mark', 'aria-hidden': 'true' }, sealed ? '✔' : '!'), ' ', sealed ? t('validSealed') : t('validUnsealed')));
    out.push(h('p', {}, t(sealed ? 'validSealedText' : 'validUnsealedText', { lines: r.lines, checkpoints: r.checkpoints })));
  } else {
    const p = r.problems[0];
    v.className = 'verdict bad';
    out.push(h('p', { class: 'verdict-title' }, h('span', { class: 'verdict-mark', 'aria-hidden': 'true' }, '✘'), ' ', kind === 'error' ? t('cannotCheck') : t('invalid')));
    const where = p.line
      ? t('invalidAt', { line: p.line, seq: p.seq !== null && p.seq !== undefined ? t('seqPart', { seq: String(p.seq) }) : '' })
      : t('invalidNoLine');
    const explain = lang() === 'nl' && DICT.nl['problem_' + p.code] ? DICT.nl['problem_' + p.code] : null;
    out.push(h('p', { class: 'problem' }, h('strong', {}, where), ' ', explain || h('span', { lang: 'en' }, p.message)));
    if (explain) out.push(h('p', { class: 'technical' }, t('technical'), ' ', h('span', { lang: 'en', class: 'mono' }, p.message)));
    out.push(h('p', { class: 'technical' }, `${t('codeLabel')}: `, h('code', { 'data-testid': 'problem-code' }, p.code)));
    if (p.torn && explain) out.push(h('p', {}, t('tornNote'))); // the English message says it already
    if (kind === 'invalid' && r.records.length) out.push(h('p', {}, t('stopNote', { count: r.records.length })));
  }
  if (r.pubkey) {
    const given = r.keySource === 'given';
    const key = r.verified ? (given ? 'keyGiven' : 'keyHeader') : (given ? 'keyGivenUsed' : 'keyHeaderUsed');
    out.push(h('p', { class: 'keyline' }, `${t(key)}: `, h('code', { class: 'hex' }, r.pubkey)));
  } else if (kind !== 'error' && r.header) {
    out.push(h('p', { class: 'keyline' }, t('keyNone')));
  }
  v.replaceChildren(...out);
}

// ---------------------------------------------------------------------------------------
// Results

function renderResults() {
  const r = state.result;
  const results = $('results');
  if (!r || !r.records.length) {
    results.hidden = true;
    $('summary').replaceChildren();
    $('lots').replaceChildren();
    $('timeline-wrap').replaceChildren();
    return;
  }
  results.hidden = false;
  renderSummary(r, state.summary);
  renderLots(state.summary);
  renderTimeline(r);
}

function renderSummary(r, sum) {
  const hd = r.header || {};
  const rows = [];
  const row = (label, ...value) => rows.push(h('dt', {}, label), h('dd', {}, ...value));
  row(t('source'), state.source.kind === 'file' ? t('sourceFile', { name: state.source.name }) : t('sourceServer'));
  row(t('sAuction'), h('code', {}, str(hd.auction)));
  if (sum.title) row(t('sTitle'), sum.title);
  row(t('sEngine'), str(hd.engine));
  row(t('sMode'), str(hd.mode));
  row(t('sPhase'), t('phase_' + sum.phase));
  if (hd.schedule_shift_ms !== undefined) row(t('sShift'), t('sShiftText', { duration: duration(hd.schedule_shift_ms) }));
  row(t('sLines'), String(r.records.length));
  row(t('sInputs'), t('sInputsText', { inputs: sum.inputs, accepted: sum.accepted, rejected: sum.rejected, repeated: sum.repeated }));
  row(t('sCheckpoints'), String(r.checkpoints));
  if (sum.firstAt !== null) {
    row(t('sSpan'), t('sSpanText', { from: time(sum.firstAt), to: time(sum.lastAt), duration: duration(sum.lastAt - sum.firstAt) }));
  }
  if (sum.disqualified.length) row(t('sDisqualified'), sum.disqualified.map(supplierName).join(', '));
  row(t('sPubkey'), h('code', { class: 'hex' }, str(hd.pubkey)), ' — ',
    r.keySource === 'given' ? t('checked') : t('notChecked'));
  row(t('sConfig'), h('code', { class: 'hex' }, str(hd.config_sha256)));
  row(t('sHead'), h('code', { class: 'hex' }, str(r.head)));
  const dl = h('dl', { class: 'summary' }, ...rows);
  $('summary').replaceChildren(dl);
}

// Series colours: each at least 4.5:1 against white, told apart by marker shape as well.
const COLOURS = ['#0b5cad', '#b00020', '#1d6b2f', '#8a4b00', '#6a1b9a', '#00695c', '#ad1457', '#37474f', '#5d4037', '#283593'];
const SHAPES = ['circle', 'square', 'triangle', 'diamond'];

function marker(shape, x, y, colour, r = 4.5) {
  const common = { fill: colour, stroke: '#ffffff', 'stroke-width': 1 };
  switch (shape) {
    case 'square': return s('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, ...common });
    case 'triangle': return s('path', { d: `M${x},${y - r * 1.2}L${x + r * 1.1},${y + r * 0.8}L${x - r * 1.1},${y + r * 0.8}Z`, ...common });
    case 'diamond': return s('path', { d: `M${x},${y - r * 1.3}L${x + r * 1.3},${y}L${x},${y + r * 1.3}L${x - r * 1.3},${y}Z`, ...common });
    default: return s('circle', { cx: x, cy: y, r, ...common });
  }
}

function cross(x, y, colour, r = 5) {
  return s('path', { d: `M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}`, stroke: colour, 'stroke-width': 2.2, fill: 'none' });
}

function renderLots(sum) {
  const wrap = $('lots');
  if (!sum.lots.length) {
    wrap.replaceChildren(h('p', {}, t('noLots')));
    return;
  }
  const sections = sum.lots.map((l) => {
    const hid = 'lot-h-' + idPart(l.lot);
    return h('section', { class: 'lot card', 'aria-labelledby': hid },
      h('h3', { id: hid }, t('lotHeading', { lot: lotName(l.lot) })),
      h('p', {}, t('lotStatus', {
        phase: t('phase_' + l.phase), deadline: time(l.deadline), extensions: l.extensions,
        bids: l.bids.length, voided: l.bidsVoided,
      })),
      chart(l, sum),
      rankingTable(l));
  });
  wrap.replaceChildren(...sections);
}

/**
 * Each supplier's standing total over time on a lot, as steps: a bid sets it; a void takes
 * that bid away (the previous non-voided one stands again); a disqualification ends it.
 */
function standingSteps(l, sum) {
  const series = new Map();
  const get = (sup) => {
    if (!series.has(sup)) series.set(sup, { supplier: sup, stack: [], steps: [], bids: [] });
    return series.get(sup);
  };
  const byNumber = new Map(l.bids.map((b) => [b.bid, b]));
  const step = (se, at) => {
    const top = se.stack[se.stack.length - 1];
    se.steps.push({ at, total: top ? top.total : null });
  };
  const dq = new Map();
  for (const e of sum.events) if (e.event === 'supplier_disqualified') dq.set(e.supplier, e.at);
  const evs = [...l.events];
  for (const [sup, at] of dq) evs.push({ event: '_disqualified', supplier: sup, at });
  evs.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  for (const e of evs) {
    if (e.event === 'bid_accepted' && typeof e.supplier === 'string' && isDecimal(e.total)) {
      const se = get(e.supplier);
      const b = byNumber.get(num(e.bid));
      se.stack.push(b);
      se.bids.push(b);
      step(se, e.at);
    } else if (e.event === 'bid_voided' && series.has(e.supplier)) {
      const se = series.get(e.supplier);
      se.stack = se.stack.filter((b) => b.bid !== num(e.bid));
      step(se, e.at);
    } else if (e.event === '_disqualified' && series.has(e.supplier)) {
      const se = series.get(e.supplier);
      se.stack = [];
      step(se, e.at);
    }
  }
  return [...series.values()];
}

function chart(l, sum) {
  const testid = 'chart-' + l.lot;
  const bids = l.bids.filter((b) => isDecimal(b.total) && typeof b.at === 'number');
  const figure = h('figure', { class: 'chart', 'data-testid': testid });
  if (!bids.length) {
    figure.append(h('p', { class: 'muted' }, t('chartNone')));
    return figure;
  }
  const series = standingSteps(l, sum);
  // Domains. Time: from the lot's opening (or first bid) to its close; for a lot still open,
  // to the last record of the log. (An award may come much later: it does not stretch the axis.)
  const times = [...l.events.filter((e) => e.event !== 'lot_awarded').map((e) => e.at), ...bids.map((b) => b.at)]
    .filter((x) => typeof x === 'number');
  if (l.phase === 'open' && typeof sum.lastAt === 'number') times.push(sum.lastAt);
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < 60000) { t0 -= 30000; t1 += 30000; }
  let min = bids[0].total;
  let max = bids[0].total;
  for (const b of bids) {
    if (compareDecimal(b.total, min) < 0) min = b.total;
    if (compareDecimal(b.total, max) > 0) max = b.total;
  }
  const W = 760, H = 320, left = 112, right = 16, top = 16, bottom = 44;
  const pw = W - left - right, ph = H - top - bottom;
  const x = (ms) => left + ((ms - t0) / (t1 - t0)) * pw;
  // Lower totals are better: drawn lower. 8 px inside the plot at both ends.
  const y = (dec) => top + 8 + (1 - decimalRatio(dec, min, max)) * (ph - 16);
  const round = (v) => Math.round(v * 10) / 10;

  const titleId = 'chart-title-' + idPart(l.lot);
  const descId = 'chart-desc-' + idPart(l.lot);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-labelledby': `${titleId} ${descId}`,
    class: 'chart-svg', preserveAspectRatio: 'xMidYMid meet',
  });
  svg.append(
    s('title', { id: titleId }, t('chartTitle', { lot: lotName(l.lot) })),
    s('desc', { id: descId }, t('chartDesc', {
      bids: bids.length, suppliers: series.length, from: clock(t0), to: clock(t1), min: money(min), max: money(max),
    })),
  );
  // Grid and axes.
  const grid = s('g', { class: 'grid' });
  const ticksY = compareDecimal(min, max) === 0 ? [min] : [0, 1, 2, 3, 4].map((k) => decimalBetween(min, max, k, 4));
  for (const v of ticksY) {
    const yy = round(y(v));
    grid.append(s('line', { x1: left, x2: W - right, y1: yy, y2: yy, class: 'gridline' }));
    grid.append(s('text', { x: left - 6, y: yy + 4, 'text-anchor': 'end', class: 'tick' }, money(v)));
  }
  for (let k = 0; k <= 4; k++) {
    const ms = t0 + ((t1 - t0) * k) / 4;
    const xx = round(x(ms));
    grid.append(s('line', { x1: xx, x2: xx, y1: top, y2: top + ph, class: 'gridline' }));
    grid.append(s('text', { x: xx, y: top + ph + 18, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle', class: 'tick' }, clock(ms)));
  }
  grid.append(s('line', { x1: left, x2: left, y1: top, y2: top + ph, class: 'axis' }));
  grid.append(s('line', { x1: left, x2: W - right, y1: top + ph, y2: top + ph, class: 'axis' }));
  grid.append(s('text', { x: left + pw / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' }, t('axisTime')));
  grid.append(s('text', { x: 12, y: top + ph / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${top + ph / 2})` }, t('axisTotal')));
  svg.append(grid);

  const legend = h('ul', { class: 'legend' });
  series.forEach((se, k) => {
    const colour = COLOURS[k % COLOURS.length];
    const shape = SHAPES[k % SHAPES.length]; // with 10 colours: 20 distinct pairs
    const g = s('g', { class: 'series' });
    // Steps of the standing total, to the end of the time axis.
    let d = '';
    let cur = null;
    for (const st of se.steps) {
      const xx = round(x(st.at));
      if (cur !== null) d += `H${xx}`;
      if (st.total === null) { cur = null; continue; }
      const yy = round(y(st.total));
      d += cur === null ? `M${xx},${yy}` : `V${yy}`;
      cur = yy;
    }
    if (cur !== null) d += `H${round(x(t1))}`;
    if (d) g.append(s('path', { d, fill: 'none', stroke: colour, 'stroke-width': 2, class: 'step' }));
    for (const b of se.bids) {
      const xx = round(x(b.at)), yy = round(y(b.total));
      const tip = `${supplierName(b.supplier)}, #${b.bid}${b.initial ? ` (${t('bidInitial')})` : ''}, ${clock(b.at)}: ${money(b.total)}${b.voided ? ' — ' + t('bidVoided') : ''}`;
      const m = b.voided ? cross(xx, yy, colour) : marker(shape, xx, yy, colour);
      m.append(s('title', {}, tip));
      g.append(m);
    }
    svg.append(g);
    const sw = s('svg', { width: 28, height: 14, viewBox: '0 0 28 14', 'aria-hidden': 'true', focusable: 'false', class: 'swatch' },
      s('line', { x1: 0, x2: 28, y1: 7, y2: 7, stroke: colour, 'stroke-width': 2 }), marker(shape, 14, 7, colour, 4));
    legend.append(h('li', {}, sw, ' ', supplierName(se.supplier)));
  });
  if (bids.some((b) => b.voided)) {
    const sw = s('svg', { width: 28, height: 14, viewBox: '0 0 28 14', 'aria-hidden': 'true', focusable: 'false', class: 'swatch' }, cross(14, 7, '#1b1f24', 4.5));
    legend.append(h('li', {}, sw, ' ', t('legendVoided')));
  }

  // The data as a table, for screen readers and for copying.
  const rows = bids.map((b) => h('tr', {},
    h('td', {}, time(b.at)),
    h('td', {}, supplierName(b.supplier)),
    h('td', { class: 'num' }, `#${b.bid}`),
    h('td', { class: 'num' }, money(b.total)),
    h('td', { class: 'num' }, score(b.score)),
    h('td', {}, b.voided ? t('bidVoided') : t('bidValid'), b.initial ? ` (${t('bidInitial')})` : '')));
  const table = h('table', { class: 'data' },
    h('caption', {}, t('chartTableCaption', { lot: lotName(l.lot) })),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('cTime')),
      h('th', { scope: 'col' }, t('cSupplier')),
      h('th', { scope: 'col', class: 'num' }, t('cBid')),
      h('th', { scope: 'col', class: 'num' }, t('cTotal')),
      h('th', { scope: 'col', class: 'num' }, t('cScore')),
      h('th', { scope: 'col' }, t('cStatus')))),
    h('tbody', {}, ...rows));
  figure.append(
    h('div', { class: 'chart-box' }, svg),
    h('figcaption', {}, legend),
    h('details', {}, h('summary', {}, t('chartData')), h('div', { class: 'table-scroll' }, table)),
  );
  return figure;
}

function rankingTable(l) {
  const award = l.rankingSource === 'award';
  const initial = new Set(l.bids.filter((b) => b.initial).map((b) => b.bid));
  const rows = l.ranking.map((w) => ({ ...w, src: award ? t('srcAward') : t('srcDerived') }));
  if (award) {
    // The rest of the standing ladder, below the winners, marked as derived.
    const winners = new Set(l.ranking.map((w) => w.supplier));
    for (const w of l.ladder) if (!winners.has(w.supplier)) rows.push({ ...w, src: t('srcDerivedNotWinner'), derived: true });
  }
  const body = rows.length
    ? rows.map((w) => h('tr', { class: w.derived ? 'derived' : null },
      h('td', { class: 'num' }, str(w.rank)),
      h('th', { scope: 'row' }, supplierName(w.supplier)),
      h('td', { class: 'num' }, money(w.total)),
      h('td', { class: 'num' }, score(w.score)),
      h('td', { class: 'num' }, `#${str(w.bid)}`, initial.has(w.bid) ? ` (${t('bidInitial')})` : ''),
      h('td', {}, w.src)))
    : [h('tr', {}, h('td', { colspan: 6 }, t('rankingNone')))];
  const table = h('table', { class: 'ranking', 'data-testid': 'ranking-' + l.lot, 'data-source': l.rankingSource },
    h('caption', {}, t(award ? 'rankingCaptionAward' : 'rankingCaptionDerived', { lot: lotName(l.lot) })),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'num' }, t('cRank')),
      h('th', { scope: 'col' }, t('cSupplier')),
      h('th', { scope: 'col', class: 'num' }, t('cTotal')),
      h('th', { scope: 'col', class: 'num' }, t('cScore')),
      h('th', { scope: 'col', class: 'num' }, t('cBid')),
      h('th', { scope: 'col' }, t('cSource')))),
    h('tbody', {}, ...body));
  const out = [h('div', { class: 'table-scroll' }, table)];
  if (award && l.reserveMet !== null) out.push(h('p', {}, t('reserveMet', { met: l.reserveMet ? t('yes') : t('no') })));
  out.push(h('p', { class: 'hint' }, t('rankingNote')));
  return out;
}

const TIMELINE_HEAD = 500;
const TIMELINE_TAIL = 500;

function renderTimeline(r) {
  // Every record after the header, with its line number (records[i] is on line i + 1).
  const n = r.records.length - 1;
  const capped = n > TIMELINE_HEAD + TIMELINE_TAIL;
  const rows = [];
  const add = (i) => rows.push(timelineRow(r.records[i], i + 1));
  if (!capped) {
    for (let i = 1; i <= n; i++) add(i);
  } else {
    for (let i = 1; i <= TIMELINE_HEAD; i++) add(i);
    rows.push(h('tr', { class: 'gap' }, h('td', { colspan: 6 }, t('timelineGap', { n: n - TIMELINE_HEAD - TIMELINE_TAIL }))));
    for (let i = n - TIMELINE_TAIL + 1; i <= n; i++) add(i);
  }
  const caption = capped
    ? t('timelineCaptionCapped', { first: TIMELINE_HEAD, last: TIMELINE_TAIL, count: n })
    : t('timelineCaption', { count: n });
  const table = h('table', { class: 'timeline', 'data-testid': 'timeline', 'data-rows': n, 'data-capped': capped ? 'true' : 'false' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'num' }, t('cLine')),
      h('th', { scope: 'col', class: 'num' }, t('cSeq')),
      h('th', { scope: 'col' }, t('cTime')),
      h('th', { scope: 'col' }, t('cWho')),
      h('th', { scope: 'col' }, t('cCommand')),
      h('th', { scope: 'col' }, t('cOutcome')))),
    h('tbody', {}, ...rows));
  $('timeline-wrap').replaceChildren(h('div', { class: 'table-scroll' }, table));
}

function timelineRow(rec, line) {
  if (rec.kind === 'checkpoint') {
    return h('tr', { class: 'checkpoint' + (rec.final ? ' final' : '') },
      h('td', { class: 'num' }, String(line)),
      h('td', { class: 'num' }, t('none')),
      h('td', {}, time(rec.at)),
      h('td', {}, t('whoServer')),
      h('td', {}, t('checkpoint', { seq: str(rec.head_seq) })),
      h('td', {}, rec.final ? `${t('sigOk')}; ${t('checkpointFinal')}` : t('sigOk')));
  }
  const oc = rec.outcome && typeof rec.outcome === 'object' ? rec.outcome : {};
  let outcome;
  let cls = '';
  if (Array.isArray(oc.accepted)) {
    cls = 'accepted';
    if (!oc.accepted.length) outcome = [t('acceptedNothing')];
    else {
      outcome = [h('span', { class: 'badge ok' }, t('accepted')),
        h('ul', { class: 'events' }, ...oc.accepted.map((ev) => h('li', {}, ev && typeof ev === 'object' ? eventText(ev) : str(ev))))];
    }
  } else if (oc.rejected !== undefined) {
    cls = 'rejected';
    const [text, details] = rejection(oc.rejected);
    outcome = [h('span', { class: 'badge bad' }, text), details ? h('div', { class: 'details' }, details) : null];
  } else if (oc.repeated !== undefined) {
    cls = 'repeated';
    outcome = [t('repeated', { bid: str(oc.repeated && oc.repeated.bid) })];
  } else {
    outcome = [t('unknownOutcome'), ' ', str(oc)];
  }
  return h('tr', { class: cls },
    h('td', { class: 'num' }, String(line)),
    h('td', { class: 'num' }, str(rec.seq)),
    h('td', {}, time(rec.at)),
    h('td', {}, who(rec.who)),
    h('td', { class: 'cmd' }, command(rec.cmd)),
    h('td', {}, ...outcome));
}

// ---------------------------------------------------------------------------------------
// Wiring

function init() {
  bindLangSwitch($('lang'), rerender);
  // A token in the URL fragment (#token=...) fills the field and leaves the address bar.
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    $('token').value = decodeURIComponent(m[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }

  $('log-file').addEventListener('change', (e) => readFile(e.target.files && e.target.files[0]));
  $('load-server').addEventListener('click', loadFromServer);
  $('token').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); loadFromServer(); }
  });
  $('pubkey').addEventListener('change', () => {
    const k = pubkeyFromField();
    showPubkeyError(k === null);
    if (state.bytes && k !== null) check(state.bytes, state.source);
    else if (state.bytes) { state.result = null; state.summary = null; renderVerdict(); renderResults(); }
  });

  // Drag and drop: onto the file box (highlighted), or anywhere on the page.
  const zone = $('drop-zone');
  let depth = 0;
  const setDragging = (on) => {
    zone.classList.toggle('dragging', on);
    $('drop-hint').textContent = on ? t('dropActive') : t('dropHint');
  };
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    depth++;
    setDragging(true);
  });
  document.addEventListener('dragover', (e) => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) setDragging(false);
  });
  document.addEventListener('drop', (e) => {
    if (!e.dataTransfer || !e.dataTransfer.files || !e.dataTransfer.files.length) return;
    e.preventDefault();
    depth = 0;
    setDragging(false);
    readFile(e.dataTransfer.files[0]);
  });

  renderStatic();
  renderVerdict();
}

init();
