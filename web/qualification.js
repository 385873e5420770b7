// The qualification page: a candidate of a tender signs in with its tender token (from
// tender-credentials.json, not the auction's), reads the tender (criteria, dates, the nota of
// answered questions), registers, submits its answers (a form built from the criteria, or a
// JSON file sent as it is), asks questions and, after the admission, reads its own letter.
//
// Everything goes over the tender's HTTP requests (docs/tender.md, "The tender over HTTP"):
// GET /tender, POST /tender/register, /tender/submission, /tender/questions, each with
// `Authorization: Bearer TOKEN`. Every answer is shown: a receipt (record number and hash) when
// accepted, the refusal in words when refused, the error otherwise. Values are decimal strings
// throughout; nothing is turned into floating point.

import {
  $, el, translator, getLang, bindLangSwitch, fmtMoney, fmtNumber, fmtTime, fmtClock, parseAmount,
  toInputText, initialToken, rememberToken,
} from './common.js';

// ---------------------------------------------------------------------------------------------
// Texts

const DICT = {
  nl: {
    skip: 'Naar de inhoud',
    page_title: 'Kwalificatie',
    doc_title: 'Kwalificatie — {title}',
    language: 'Taal',
    refresh: 'Vernieuwen',
    sign_out: 'Afmelden',
    sign_in: 'Aanmelden',
    signin_heading: 'Aanmelden',
    signin_help: 'Meld u aan met uw token voor de aanbesteding (uit tender-credentials.json; niet het token van de veiling zelf).',
    token_label: 'Token',
    signin_empty: 'Vul uw token in.',
    signin_refused: 'Aanmelden mislukt: dit token wordt niet herkend als token van een aanbesteding. Gebruik het token uit tender-credentials.json, niet dat van de veiling.',
    signin_failed: 'Aanmelden mislukt: {error}',
    whoami: 'Aangemeld als {id} ({name})',
    whoami_readonly: 'Aangemeld, alleen-lezen (geen kandidaat)',
    'conn.signed-out': 'niet aangemeld',
    'conn.loading': 'bezig met laden…',
    'conn.open': 'bijgewerkt om {time}',
    'conn.offline': 'geen verbinding met de server',
    'conn.failed': 'aanmelden mislukt',
    load_error: 'De aanbesteding kon niet worden geladen: {error}',
    tender_id: 'Aanbesteding',
    phase_label: 'Fase',
    you_label: 'Uw status',
    formula_label: 'Rangschikking in de veiling',
    readonly: 'U bent niet aangemeld als kandidaat: u kunt de aanbesteding bekijken, maar niet registreren, inzenden of vragen stellen.',
    'phase.draft': 'nog niet geopend',
    'phase.qualification_open': 'kwalificatie open',
    'phase.qualification_closed': 'kwalificatie gesloten',
    'phase.evaluation': 'beoordeling',
    'phase.admission_published': 'toelating gepubliceerd',
    'phase.practice': 'oefenveiling',
    'phase.live': 'live veiling',
    'phase.award_proposed': 'gunning voorgesteld',
    'phase.award_confirmed': 'gunning bevestigd',
    'phasehelp.draft': 'De kwalificatie is nog niet geopend.',
    'phasehelp.qualification_open': 'U kunt registreren, inzenden en vragen stellen tot de data hieronder.',
    'phasehelp.qualification_closed': 'Inzenden kan niet meer; de inzendingen worden beoordeeld.',
    'phasehelp.evaluation': 'De inzendingen worden beoordeeld.',
    'phasehelp.admission_published': 'De uitslag van de kwalificatie is gepubliceerd.',
    'phasehelp.practice': 'De uitslag van de kwalificatie is gepubliceerd; toegelaten leveranciers kunnen oefenen.',
    phasehelp_letter: 'Uw brief staat hieronder.',
    'phasehelp.live': 'De veiling is begonnen.',
    'phasehelp.award_proposed': 'De veiling is voorbij; de gunning is voorgesteld.',
    'phasehelp.award_confirmed': 'De gunning is bevestigd; de aanbesteding is afgerond.',
    you_not_registered: 'Niet geregistreerd.',
    you_registered: 'Geregistreerd.',
    you_submitted: 'Geregistreerd; inzending ontvangen op {at} (inzending {n}).',
    you_sealed: 'Het logboek van de aanbesteding is verzegeld.',
    'formula.price': 'score = uw totaalprijs; de laagste score staat eerst.',
    'formula.fictieve_korting': 'score = uw totaalprijs − uw kwaliteitswaarde (fictieve korting, in euro); de laagste score staat eerst.',
    'formula.coefficient': 'score = uw totaalprijs / (1 + uw kwaliteitswaarde), half naar even afgerond op 6 decimalen; de laagste score staat eerst.',
    dates_heading: 'Data',
    dates_help: 'Alle tijden in Nederlandse tijd (Europe/Amsterdam).',
    'date.qualification_opens_at': 'Kwalificatie opent',
    'date.questions_close_at': 'Vragen stellen tot',
    'date.qualification_closes_at': 'Inzenden tot',
    'date.auction_opens_at': 'De veiling opent',
    'date.award_by': 'Gunning uiterlijk',
    register_heading: 'Registratie',
    register_help: 'Registreer u eerst als kandidaat; daarna kunt u inzenden en vragen stellen.',
    register: 'Registreren als kandidaat',
    why_registered: 'U bent geregistreerd.',
    why_not_registered: 'Registreer u eerst als kandidaat.',
    why_not_open: 'Dit kan alleen terwijl de kwalificatie open is (nu: {phase}).',
    why_busy: 'Bezig met versturen…',
    criteria_heading: 'Criteria',
    col_id: 'Criterium',
    col_text: 'Omschrijving',
    col_kind: 'Soort',
    col_requirement: 'Eis',
    'kind.knock_out': 'uitsluitingscriterium (ja/nee)',
    'kind.threshold': 'drempel (minimumwaarde)',
    'kind.quality': 'kwaliteit (punten)',
    req_evidence: 'Bij ja is een bewijsstuk verplicht.',
    req_no_evidence: 'Een bewijsstuk is niet verplicht.',
    req_minimum: 'Minimaal {minimum}; met bewijsstuk.',
    req_quality: 'Weging {weight}; hoogstens {points} punten.',
    submission_heading: 'Inzending',
    submission_help: 'Beantwoord elk criterium. Een latere inzending vervangt de eerdere. Bedragen en waarden typt u als 1.250.000,00.',
    submission_none: 'U heeft nog niets ingezonden.',
    submission_current: 'Uw huidige inzending is ontvangen op {at} (inzending {n}); het formulier toont haar.',
    submission_submit: 'Inzending versturen',
    answer_yes: 'Ja',
    answer_no: 'Nee',
    answer_group: 'Uw antwoord',
    evidence_required: 'Bewijsstuk (verplicht bij ja): nummer, certificaat of verklaring',
    evidence_optional: 'Bewijsstuk (niet verplicht)',
    evidence_threshold: 'Bewijsstuk (verplicht)',
    value_label: 'Waarde in {unit} (minimaal {minimum})',
    text_label: 'Uw antwoord (tekst of verwijzing naar een bijlage; hoogstens 10.000 tekens)',
    initial_summary: 'Beginprijzen (alleen bij veilen in rondes met beurten)',
    initial_help: 'Alleen invullen als de veiling in rondes met beurten verloopt: dan begint u met deze prijs. Laat ze anders leeg; lege velden worden niet verstuurd. Bij een kavel met regelposten: de eenheidsprijzen per regel, gescheiden door een puntkomma.',
    initial_label: 'Beginprijs {name} ({id})',
    upload_heading: 'Of: een JSON-bestand versturen',
    upload_help: 'Een inzendingsbestand zoals in de documentatie ({"answers": {…}}), hoogstens 1 MiB. Het wordt ongewijzigd verstuurd.',
    upload_label: 'Inzendingsbestand (JSON)',
    upload_submit: 'Bestand versturen',
    upload_none: 'Kies eerst een bestand.',
    upload_too_big: 'Het bestand is {size} bytes; een inzending is hoogstens 1 MiB (1.048.576 bytes). Er is niets verstuurd.',
    local_bad_value: '{id}: “{text}” is geen getal. Typ bijvoorbeeld 1.250.000,00.',
    local_bad_price: 'Beginprijs {id}: “{text}” is geen bedrag. Typ bijvoorbeeld 2.100.000,00.',
    local_not_sent: 'Niet verstuurd: verbeter eerst het volgende.',
    questions_heading: 'Vragen',
    questions_help: 'Vragen stellen kan tot {at}. Het antwoord komt in de nota van inlichtingen voor alle kandidaten, zonder uw naam.',
    question_label: 'Uw vraag (hoogstens 10.000 tekens)',
    question_submit: 'Vraag versturen',
    question_empty: 'Typ eerst uw vraag.',
    own_questions_heading: 'Uw vragen',
    own_questions_none: 'U heeft nog geen vragen gesteld.',
    own_question: 'Vraag {n}: {text}',
    own_answered: 'beantwoord (zie de nota)',
    own_open: 'nog niet beantwoord',
    nota_heading: 'Nota van inlichtingen',
    nota_help: 'De beantwoorde vragen van alle kandidaten, zonder wie ze stelde.',
    nota_none: 'Er zijn nog geen vragen beantwoord.',
    nota_question: 'Vraag {n}',
    nota_answer: 'Antwoord ({at})',
    letter_heading: 'Uw brief: de uitslag van de kwalificatie',
    letter_admitted: 'U bent toegelaten tot de veiling.',
    letter_excluded: 'U bent niet toegelaten tot de veiling.',
    letter_reasons: 'Redenen',
    letter_quality: 'Uw kwaliteitswaarde per kavel',
    letter_formula: 'De formule',
    letter_rule: 'Hoe de kwaliteitswaarde is berekend',
    letter_rule_text: 'kwaliteitswaarde per kavel = de hoogste kwaliteitswaarde van het kavel × de som over de kwaliteitscriteria van weging/100 × punten/hoogste aantal punten, naar beneden afgerond (op de decimalen van de prijs bij een fictieve korting, op 4 decimalen bij een coëfficiënt).',
    letter_sha: 'SHA-256 van de veilingconfiguratie',
    letter_evaluation: 'Uw beoordeling per criterium',
    col_lot: 'Kavel',
    col_value: 'Kwaliteitswaarde',
    col_result: 'Uitkomst',
    col_motivation: 'Motivering',
    ev_passed: 'voldaan',
    ev_failed: 'niet voldaan',
    ev_value: 'vastgestelde waarde {value}',
    ev_points: '{points} van {max} punten (weging {weight})',
    // Answers
    res_sending: 'Bezig met versturen…',
    res_network: 'Geen verbinding met de server ({error}). Misschien is er niets aangekomen, misschien ging alleen het antwoord verloren: vernieuw de pagina om te zien wat er is vastgelegd.',
    'ok.register': 'Geregistreerd als kandidaat.',
    'ok.submission': 'Inzending ontvangen.',
    'ok.submission_replaces': 'Inzending ontvangen; zij vervangt uw eerdere inzending.',
    'ok.question': 'Vraag {n} ontvangen. Het antwoord komt in de nota van inlichtingen, zonder uw naam.',
    receipt: 'Ontvangstbewijs: record nr. {seq} in het logboek van de aanbesteding, hash (SHA-256):',
    receipt_at: 'Vastgelegd op {at}.',
    refused: 'Geweigerd: {text}',
    refused_code: 'Code: {code}.',
    refused_message: 'Melding van de server: {message}',
    refused_record: 'De weigering is vastgelegd als record nr. {seq}, hash:',
    'err.400': 'Niet verwerkt (400): het verzoek is geen geldige inzending van deze aanbesteding. Er is niets vastgelegd.',
    'err.401': 'Uw token wordt niet herkend (401). Meld u opnieuw aan.',
    'err.403': 'Dit is geen stap voor uw rol (403).',
    'err.413': 'Te groot (413): een inzending is hoogstens 1 MiB. Er is niets vastgelegd.',
    'err.429': 'Te veel verzoeken (429): probeer het over {s} s opnieuw. Er is niets vastgelegd.',
    'err.other': 'Fout ({status}).',
    err_detail: 'Melding van de server: {error}',
    // Refusals (docs/tender.md, "Refusals")
    'why.out_of_order': 'deze stap hoort nu niet bij de aanbesteding: die is in de fase “{phase}”. Wat nu kan: {next}.',
    'why.not_yet': 'de kwalificatie is nog niet open; ze opent op {opens_at}.',
    'why.too_late': 'te laat: registreren en inzenden kon tot {closes_at}.',
    'why.questions_closed': 'vragen stellen kon tot {closed_at}.',
    'why.closes_later': 'de kwalificatie sluit pas op {closes_at} ({submitted} van de {candidates} kandidaten hebben ingezonden).',
    'why.not_registered': 'u bent nog niet geregistreerd als kandidaat. Registreer u eerst.',
    'why.already_registered': 'u bent al geregistreerd.',
    'why.incomplete': 'uw inzending is niet compleet. Er ontbreekt een antwoord op: {missing}.',
    'why.bad_answer': 'het antwoord op {criterion} past niet bij het criterium ({why}).',
    'why.bad_price': 'de beginprijs van kavel {lot} past niet ({why}).',
    'why.text_required': 'er is een tekst nodig: een vraag of een antwoord op een kwaliteitscriterium mag niet leeg zijn.',
    'why.text_too_long': 'de tekst is te lang: {len} tekens, hoogstens {max}.',
    'why.too_many_questions': 'u heeft het maximum van {max} vragen bereikt.',
    'why.too_many_submissions': 'u heeft het maximum van {max} inzendingen bereikt.',
    'why.unknown_question': 'vraag {question} bestaat niet.',
    'why.already_answered': 'vraag {question} is al beantwoord.',
    'why.no_submission': 'er is geen inzending van {supplier}.',
    'why.bad_verdict': 'het oordeel over {criterion} past niet ({why}).',
    'why.not_evaluated': 'criterium {criterion} van {supplier} is nog niet beoordeeld.',
    'why.live_opens_at': 'de veiling opent op {opens_at}; oefenen kan vanaf dan niet meer.',
    'why.practice_runs_max': 'het maximum van {max} oefenveilingen is bereikt.',
    'why.bad_proposal': 'het gunningsvoorstel past niet bij de veiling ({why}).',
    'why.self_confirmation': 'vier ogen: een andere inkoper moet de gunning bevestigen.',
    'why.unknown_supplier': 'leverancier {supplier} is onbekend.',
    'why.unknown_auctioneer': 'inkoper {auctioneer} is onbekend.',
    'why.not_candidate': '{supplier} is geen kandidaat in deze aanbesteding.',
    'why.unknown': 'de server weigerde met code {code}.',
    missing_price: 'de beginprijs van kavel {lot}',
    none: '–',
  },
  en: {
    skip: 'Skip to content',
    page_title: 'Qualification',
    doc_title: 'Qualification — {title}',
    language: 'Language',
    refresh: 'Refresh',
    sign_out: 'Sign out',
    sign_in: 'Sign in',
    signin_heading: 'Sign in',
    signin_help: 'Sign in with your tender token (from tender-credentials.json; not the token of the auction itself).',
    token_label: 'Token',
    signin_empty: 'Enter your token.',
    signin_refused: 'Sign-in failed: this token is not known as a tender token. Use the token from tender-credentials.json, not the auction’s.',
    signin_failed: 'Sign-in failed: {error}',
    whoami: 'Signed in as {id} ({name})',
    whoami_readonly: 'Signed in, read-only (not a candidate)',
    'conn.signed-out': 'signed out',
    'conn.loading': 'loading…',
    'conn.open': 'updated at {time}',
    'conn.offline': 'no connection to the server',
    'conn.failed': 'sign-in failed',
    load_error: 'The tender could not be loaded: {error}',
    tender_id: 'Tender',
    phase_label: 'Phase',
    you_label: 'Your status',
    formula_label: 'Ranking in the auction',
    readonly: 'You are not signed in as a candidate: you can read the tender, but not register, submit or ask.',
    'phase.draft': 'not open yet',
    'phase.qualification_open': 'qualification open',
    'phase.qualification_closed': 'qualification closed',
    'phase.evaluation': 'evaluation',
    'phase.admission_published': 'admission published',
    'phase.practice': 'practice auction',
    'phase.live': 'live auction',
    'phase.award_proposed': 'award proposed',
    'phase.award_confirmed': 'award confirmed',
    'phasehelp.draft': 'The qualification has not opened yet.',
    'phasehelp.qualification_open': 'You can register, submit and ask until the dates below.',
    'phasehelp.qualification_closed': 'Submissions are closed; they are being evaluated.',
    'phasehelp.evaluation': 'The submissions are being evaluated.',
    'phasehelp.admission_published': 'The result of the qualification is published.',
    'phasehelp.practice': 'The result of the qualification is published; admitted suppliers can practise.',
    phasehelp_letter: 'Your letter is below.',
    'phasehelp.live': 'The auction has started.',
    'phasehelp.award_proposed': 'The auction is over; the award is proposed.',
    'phasehelp.award_confirmed': 'The award is confirmed; the tender is complete.',
    you_not_registered: 'Not registered.',
    you_registered: 'Registered.',
    you_submitted: 'Registered; submission received at {at} (submission {n}).',
    you_sealed: 'The tender log is sealed.',
    'formula.price': 'score = your total price; the lowest score ranks first.',
    'formula.fictieve_korting': 'score = your total price − your quality value (fictieve korting, in euro); the lowest score ranks first.',
    'formula.coefficient': 'score = your total price / (1 + your quality value), rounded half to even to 6 decimals; the lowest score ranks first.',
    dates_heading: 'Dates',
    dates_help: 'All times in Dutch time (Europe/Amsterdam).',
    'date.qualification_opens_at': 'Qualification opens',
    'date.questions_close_at': 'Questions until',
    'date.qualification_closes_at': 'Submissions until',
    'date.auction_opens_at': 'The auction opens',
    'date.award_by': 'Award by',
    register_heading: 'Registration',
    register_help: 'Register as a candidate first; then you can submit and ask questions.',
    register: 'Register as a candidate',
    why_registered: 'You are registered.',
    why_not_registered: 'Register as a candidate first.',
    why_not_open: 'This is only possible while the qualification is open (now: {phase}).',
    why_busy: 'Sending…',
    criteria_heading: 'Criteria',
    col_id: 'Criterion',
    col_text: 'Description',
    col_kind: 'Kind',
    col_requirement: 'Requirement',
    'kind.knock_out': 'knock-out (yes/no)',
    'kind.threshold': 'threshold (minimum value)',
    'kind.quality': 'quality (points)',
    req_evidence: 'A yes needs evidence.',
    req_no_evidence: 'Evidence is not required.',
    req_minimum: 'At least {minimum}; with evidence.',
    req_quality: 'Weight {weight}; at most {points} points.',
    submission_heading: 'Submission',
    submission_help: 'Answer every criterion. A later submission replaces the earlier one. Type amounts and values as 1,250,000.00.',
    submission_none: 'You have not submitted anything yet.',
    submission_current: 'Your current submission was received at {at} (submission {n}); the form shows it.',
    submission_submit: 'Send the submission',
    answer_yes: 'Yes',
    answer_no: 'No',
    answer_group: 'Your answer',
    evidence_required: 'Evidence (required with yes): a number, certificate or statement',
    evidence_optional: 'Evidence (not required)',
    evidence_threshold: 'Evidence (required)',
    value_label: 'Value in {unit} (at least {minimum})',
    text_label: 'Your answer (a text or a reference to an attachment; at most 10,000 characters)',
    initial_summary: 'Initial prices (turn-based rounds only)',
    initial_help: 'Only when the auction runs in turn-based rounds: you then start from this price. Otherwise leave them empty; empty fields are not sent. For a lot with line items: the unit prices per line, separated by semicolons.',
    initial_label: 'Initial price {name} ({id})',
    upload_heading: 'Or: send a JSON file',
    upload_help: 'A submission file as in the documentation ({"answers": {…}}), at most 1 MiB. It is sent as it is.',
    upload_label: 'Submission file (JSON)',
    upload_submit: 'Send the file',
    upload_none: 'Choose a file first.',
    upload_too_big: 'The file has {size} bytes; a submission is at most 1 MiB (1,048,576 bytes). Nothing was sent.',
    local_bad_value: '{id}: “{text}” is not a number. Type for example 1,250,000.00.',
    local_bad_price: 'Initial price {id}: “{text}” is not an amount. Type for example 2,100,000.00.',
    local_not_sent: 'Not sent: correct the following first.',
    questions_heading: 'Questions',
    questions_help: 'You can ask until {at}. The answer goes into the nota for every candidate, without your name.',
    question_label: 'Your question (at most 10,000 characters)',
    question_submit: 'Send the question',
    question_empty: 'Type your question first.',
    own_questions_heading: 'Your questions',
    own_questions_none: 'You have not asked anything yet.',
    own_question: 'Question {n}: {text}',
    own_answered: 'answered (see the nota)',
    own_open: 'not answered yet',
    nota_heading: 'Answered questions (nota van inlichtingen)',
    nota_help: 'The answered questions of every candidate, without who asked.',
    nota_none: 'No question has been answered yet.',
    nota_question: 'Question {n}',
    nota_answer: 'Answer ({at})',
    letter_heading: 'Your letter: the result of the qualification',
    letter_admitted: 'You are admitted to the auction.',
    letter_excluded: 'You are not admitted to the auction.',
    letter_reasons: 'Reasons',
    letter_quality: 'Your quality value per lot',
    letter_formula: 'The formula',
    letter_rule: 'How the quality value was computed',
    letter_rule_text: '',
    letter_sha: 'SHA-256 of the auction config',
    letter_evaluation: 'Your evaluation per criterion',
    col_lot: 'Lot',
    col_value: 'Quality value',
    col_result: 'Result',
    col_motivation: 'Motivation',
    ev_passed: 'passed',
    ev_failed: 'failed',
    ev_value: 'verified value {value}',
    ev_points: '{points} of {max} points (weight {weight})',
    res_sending: 'Sending…',
    res_network: 'No connection to the server ({error}). Perhaps nothing arrived, perhaps only the answer was lost: refresh the page to see what is on record.',
    'ok.register': 'Registered as a candidate.',
    'ok.submission': 'Submission received.',
    'ok.submission_replaces': 'Submission received; it replaces your earlier submission.',
    'ok.question': 'Question {n} received. Its answer goes into the nota, without your name.',
    receipt: 'Receipt: record no. {seq} in the tender log, hash (SHA-256):',
    receipt_at: 'Recorded at {at}.',
    refused: 'Refused: {text}',
    refused_code: 'Code: {code}.',
    refused_message: 'The server says: {message}',
    refused_record: 'The refusal is on record as record no. {seq}, hash:',
    'err.400': 'Not processed (400): the request is not a valid submission of this tender. Nothing was recorded.',
    'err.401': 'Your token is not recognised (401). Sign in again.',
    'err.403': 'This is not a step for your role (403).',
    'err.413': 'Too large (413): a submission is at most 1 MiB. Nothing was recorded.',
    'err.429': 'Too many requests (429): try again in {s} s. Nothing was recorded.',
    'err.other': 'Error ({status}).',
    err_detail: 'The server says: {error}',
    'why.out_of_order': 'this step does not come now: the tender is in the phase “{phase}”. What may come: {next}.',
    'why.not_yet': 'the qualification is not open yet; it opens at {opens_at}.',
    'why.too_late': 'too late: registering and submitting were possible until {closes_at}.',
    'why.questions_closed': 'questions were possible until {closed_at}.',
    'why.closes_later': 'the qualification closes only at {closes_at} ({submitted} of the {candidates} candidates have submitted).',
    'why.not_registered': 'you are not registered as a candidate yet. Register first.',
    'why.already_registered': 'you are registered already.',
    'why.incomplete': 'your submission is incomplete. There is no answer to: {missing}.',
    'why.bad_answer': 'the answer to {criterion} does not fit the criterion ({why}).',
    'why.bad_price': 'the initial price of lot {lot} does not fit ({why}).',
    'why.text_required': 'a text is required: a question or an answer to a quality criterion cannot be empty.',
    'why.text_too_long': 'the text is too long: {len} characters, at most {max}.',
    'why.too_many_questions': 'you have reached the maximum of {max} questions.',
    'why.too_many_submissions': 'you have reached the maximum of {max} submissions.',
    'why.unknown_question': 'question {question} does not exist.',
    'why.already_answered': 'question {question} is answered already.',
    'why.no_submission': 'there is no submission from {supplier}.',
    'why.bad_verdict': 'the verdict on {criterion} does not fit ({why}).',
    'why.not_evaluated': 'criterion {criterion} of {supplier} is not evaluated yet.',
    'why.live_opens_at': 'the auction opens at {opens_at}; no more practice from then on.',
    'why.practice_runs_max': 'the maximum of {max} practice auctions is reached.',
    'why.bad_proposal': 'the award proposal does not match the auction ({why}).',
    'why.self_confirmation': 'four eyes: another buyer has to confirm the award.',
    'why.unknown_supplier': 'supplier {supplier} is unknown.',
    'why.unknown_auctioneer': 'buyer {auctioneer} is unknown.',
    'why.not_candidate': '{supplier} is not a candidate in this tender.',
    'why.unknown': 'the server refused with code {code}.',
    missing_price: 'the initial price of lot {lot}',
    none: '–',
  },
};

const t = translator(DICT);
const has = (key) => key in DICT.nl;

// ---------------------------------------------------------------------------------------------
// State

const REFRESH_MS = 60_000;
const BODY_MAX = 1024 * 1024;

let token = null;
let view = null; // the last GET /tender
let status = 'signed-out'; // signed-out | loading | open | offline | failed
let loadedAt = null;
let lang = getLang();
let builtFor = ''; // the criteria and lots the form was built for
let dirty = false; // the form holds what the candidate typed since the last prefill
const busy = { register: false, submission: false, question: false };
const results = { register: null, submission: null, question: null }; // {res} or {local}

const isCandidate = () => Boolean(view && view.you);
const phase = () => (view ? view.phase : null);
const qualificationOpen = () => phase() === 'qualification_open';

// ---------------------------------------------------------------------------------------------
// Helpers

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function when(ms) {
  return typeof ms === 'number' ? fmtTime(ms, lang) : t('none');
}

function phaseWord(p) {
  return has(`phase.${p}`) ? t(`phase.${p}`) : String(p ?? '');
}

function criteria() {
  return Array.isArray(view?.criteria) ? view.criteria : [];
}

function candidateLots() {
  return Array.isArray(view?.lots) ? view.lots.filter((l) => l.candidate) : [];
}

function lotName(id) {
  const l = Array.isArray(view?.lots) ? view.lots.find((x) => x.id === id) : null;
  return l && l.name ? `${l.name} (${id})` : id;
}

/** A threshold's value in its unit: money for EUR, a plain number otherwise. */
function valueIn(str, unit) {
  if (unit === 'EUR') return fmtMoney(str, lang);
  return `${fmtNumber(str, lang)}${unit ? ` ${unit}` : ''}`;
}

/** A quality value: money for a fictieve korting, a number for a coefficient. */
function qualityValue(str) {
  return view?.scoring === 'fictieve_korting' ? fmtMoney(str, lang) : fmtNumber(str, lang);
}

// ---------------------------------------------------------------------------------------------
// Requests

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    return { status: 0, body: null, error: String(e && e.message ? e.message : e) };
  }
  let json = null;
  try { json = await r.json(); } catch (_) { /* not JSON */ }
  return { status: r.status, body: json };
}

async function load() {
  if (!token) return;
  status = status === 'open' ? 'open' : 'loading';
  renderConn();
  const r = await api('GET', '/tender');
  if (!token) return; // signed out meanwhile
  if (r.status === 200 && r.body && typeof r.body === 'object') {
    view = r.body;
    status = 'open';
    loadedAt = Date.now();
    $('load-error').hidden = true;
    showSignedIn(true);
    renderAll();
    return;
  }
  if (r.status === 401 || r.status === 403) {
    signOut();
    status = 'failed';
    renderConn();
    setText($('signin-error'), t('signin_refused'));
    $('token').focus();
    return;
  }
  // No connection, or an answer that is not the tender (429 when refreshed too often): what
  // is shown stays, with the error above it.
  if (r.status === 0) status = 'offline';
  else if (!view) status = 'failed';
  renderConn();
  const error = r.status === 0 ? r.error : `${r.status} ${r.body?.error ?? ''}`.trim();
  if (!view) {
    // Never loaded: say so at the sign-in form.
    setText($('signin-error'), t('signin_failed', { error }));
    return;
  }
  $('load-error').hidden = false;
  setText($('load-error'), t('load_error', { error }));
}

// ---------------------------------------------------------------------------------------------
// Rendering

function applyI18n() {
  for (const node of document.querySelectorAll('[data-i18n]')) setText(node, t(node.dataset.i18n));
  document.title = view?.title ? t('doc_title', { title: view.title }) : `${t('page_title')} — veiling`;
}

function renderConn() {
  const badge = $('conn-status');
  badge.dataset.status = status;
  badge.className = `badge ${{ open: 'ok', loading: 'warn', offline: 'bad', failed: 'bad' }[status] ?? 'neutral'}`;
  const time = loadedAt ? fmtClock(loadedAt, lang) : '';
  setText(badge, t(`conn.${status}`, { time }));
}

function renderAll() {
  applyI18n();
  renderConn();
  if (!view) return;
  renderOverview();
  renderDates();
  renderCriteria();
  renderForm();
  renderQuestions();
  renderNota();
  renderLetter();
  renderControls();
  for (const k of Object.keys(results)) renderResult(k);
}

function renderOverview() {
  const you = view.you;
  setText($('whoami'), you ? t('whoami', { id: you.id, name: you.name ?? '' }) : t('whoami_readonly'));
  setText($('tender-title'), view.title ?? view.tender ?? '');
  setText($('tender-id'), view.tender ?? '');
  const badge = $('tender-phase');
  setText(badge, phaseWord(view.phase));
  badge.dataset.phase = view.phase ?? '';
  badge.className = `badge ${view.phase === 'qualification_open' ? 'ok' : 'neutral'}`;
  const help = has(`phasehelp.${view.phase}`) ? t(`phasehelp.${view.phase}`) : '';
  setText($('phase-help'), `${help}${you && view.letter ? ` ${t('phasehelp_letter')}` : ''}`);
  let st = '';
  if (you) {
    if (you.submitted_at != null) st = t('you_submitted', { at: when(you.submitted_at), n: you.submissions ?? 1 });
    else st = you.registered ? t('you_registered') : t('you_not_registered');
  }
  if (view.sealed) st = `${st} ${t('you_sealed')}`.trim();
  setText($('you-status'), st || t('none'));
  $('you-label').hidden = !you && !view.sealed;
  $('you-status').hidden = !you && !view.sealed;
  $('you-status').dataset.registered = you?.registered ? 'true' : 'false';
  // The formula: our words for the scorings we know, the server's otherwise (and in English).
  const known = has(`formula.${view.scoring}`);
  setText($('formula'), known ? t(`formula.${view.scoring}`) : String(view.formula ?? ''));
  $('readonly').hidden = isCandidate();
  for (const s of document.querySelectorAll('.candidate-only')) {
    if (s.id === 'letter-section') continue;
    s.hidden = !isCandidate();
  }
}

function renderDates() {
  const d = view.dates ?? {};
  const keys = ['qualification_opens_at', 'questions_close_at', 'qualification_closes_at', 'auction_opens_at', 'award_by'];
  const sig = `${lang}|${keys.map((k) => d[k]).join(',')}`;
  const dl = $('dates');
  if (dl.dataset.sig === sig) return;
  dl.dataset.sig = sig;
  const nodes = [];
  for (const k of keys) {
    if (typeof d[k] !== 'number') continue;
    nodes.push(el('dt', {}, t(`date.${k}`)),
      el('dd', { 'data-testid': `date-${k}` },
        el('time', { datetime: new Date(d[k]).toISOString() }, fmtTime(d[k], lang))));
  }
  dl.replaceChildren(...nodes);
}

function requirement(c) {
  switch (c.kind) {
    case 'knock_out': return c.evidence_required === false ? t('req_no_evidence') : t('req_evidence');
    case 'threshold': return t('req_minimum', { minimum: valueIn(c.minimum, c.unit) });
    case 'quality': return t('req_quality', { weight: fmtNumber(String(c.weight), lang), points: c.points_max });
    default: return '';
  }
}

function kindWord(kind) {
  return has(`kind.${kind}`) ? t(`kind.${kind}`) : String(kind ?? '');
}

function renderCriteria() {
  const tbody = $('criteria').tBodies[0];
  const sig = `${lang}|${JSON.stringify(criteria())}`;
  if (tbody.dataset.sig === sig) return;
  tbody.dataset.sig = sig;
  tbody.replaceChildren(...criteria().map((c) => el('tr', { 'data-testid': `criterion-${c.id}`, 'data-kind': c.kind },
    el('th', { scope: 'row' }, el('code', {}, c.id)),
    el('td', {}, c.text ?? ''),
    el('td', {}, kindWord(c.kind)),
    el('td', {}, requirement(c)))));
}

// The submission form: built once per set of criteria and lots, so that what the candidate
// typed survives every refresh; its labels follow the language.

function inputId(prefix, id) {
  return `${prefix}-${id}`;
}

function buildForm() {
  const box = $('answers');
  const nodes = criteria().map((c) => {
    const legend = el('legend', {}, el('code', {}, c.id), ' — ', c.text ?? '');
    const fs = el('fieldset', { class: 'criterion', 'data-criterion': c.id, 'data-kind': c.kind, 'data-testid': `answer-${c.id}` }, legend);
    if (c.kind === 'knock_out') {
      const name = inputId('ko', c.id);
      const yes = el('input', { type: 'radio', name, id: inputId('ko-yes', c.id), value: 'yes', 'data-testid': `ko-yes-${c.id}` });
      const no = el('input', { type: 'radio', name, id: inputId('ko-no', c.id), value: 'no', 'data-testid': `ko-no-${c.id}` });
      const groupLabel = el('span', { class: 'group-label', id: inputId('ko-label', c.id), 'data-i18n': 'answer_group' });
      fs.append(
        el('div', { class: 'yesno', role: 'radiogroup', 'aria-labelledby': `${inputId('ko-legend', c.id)} ${inputId('ko-label', c.id)}` },
          groupLabel,
          el('span', { class: 'choice' }, yes, el('label', { for: yes.id, 'data-i18n': 'answer_yes' })),
          el('span', { class: 'choice' }, no, el('label', { for: no.id, 'data-i18n': 'answer_no' }))),
        el('div', { class: 'field' },
          el('label', { for: inputId('evidence', c.id), 'data-i18n': c.evidence_required === false ? 'evidence_optional' : 'evidence_required' }),
          el('input', { type: 'text', id: inputId('evidence', c.id), 'data-testid': `evidence-${c.id}`, maxlength: 10000, autocomplete: 'off' })));
      legend.id = inputId('ko-legend', c.id);
    } else if (c.kind === 'threshold') {
      fs.append(
        el('div', { class: 'field' },
          el('label', { for: inputId('value', c.id), class: 'value-label', 'data-min': c.minimum ?? '', 'data-unit': c.unit ?? '' }),
          el('input', {
            type: 'text', id: inputId('value', c.id), 'data-testid': `value-${c.id}`, inputmode: 'decimal',
            autocomplete: 'off', spellcheck: 'false', class: 'decimal',
          })),
        el('div', { class: 'field' },
          el('label', { for: inputId('evidence', c.id), 'data-i18n': 'evidence_threshold' }),
          el('input', { type: 'text', id: inputId('evidence', c.id), 'data-testid': `evidence-${c.id}`, maxlength: 10000, autocomplete: 'off' })));
    } else {
      fs.append(el('div', { class: 'field' },
        el('label', { for: inputId('text', c.id), 'data-i18n': 'text_label' }),
        el('textarea', { id: inputId('text', c.id), 'data-testid': `text-${c.id}`, rows: 3, maxlength: 10000 })));
    }
    return fs;
  });
  box.replaceChildren(...nodes);
  $('initial-prices').replaceChildren(...candidateLots().map((l) => el('div', { class: 'field' },
    el('label', { for: inputId('price', l.id), class: 'price-label', 'data-lot': l.id }),
    el('input', {
      type: 'text', id: inputId('price', l.id), 'data-testid': `price-${l.id}`, inputmode: 'decimal',
      autocomplete: 'off', spellcheck: 'false', class: 'decimal price',
    }))));
}

function formLabels() {
  for (const node of $('submission-form').querySelectorAll('[data-i18n]')) setText(node, t(node.dataset.i18n));
  for (const node of $('submission-form').querySelectorAll('label.value-label')) {
    setText(node, t('value_label', { unit: node.dataset.unit || '', minimum: valueIn(node.dataset.min, node.dataset.unit) }));
  }
  for (const node of $('submission-form').querySelectorAll('label.price-label')) {
    const l = candidateLots().find((x) => x.id === node.dataset.lot);
    setText(node, t('initial_label', { name: l?.name ?? '', id: node.dataset.lot }));
  }
}

function renderForm() {
  if (!isCandidate()) return;
  const sig = JSON.stringify([criteria().map((c) => [c.id, c.kind, c.evidence_required, c.minimum, c.unit]),
    candidateLots().map((l) => l.id)]);
  if (sig !== builtFor) {
    builtFor = sig;
    buildForm();
    dirty = false;
  }
  formLabels();
  if (!dirty) prefill(view.you.submission);
  const you = view.you;
  setText($('current-submission'), you.submitted_at != null
    ? t('submission_current', { at: when(you.submitted_at), n: you.submissions ?? 1 }) : t('submission_none'));
}

/** Fill the form with a submission as the server keeps it. */
function prefill(sub) {
  const answers = sub && typeof sub.answers === 'object' ? sub.answers : {};
  for (const c of criteria()) {
    const a = answers[c.id];
    if (c.kind === 'knock_out') {
      const yes = $(inputId('ko-yes', c.id));
      const no = $(inputId('ko-no', c.id));
      if (yes && no) {
        yes.checked = a?.yes === true;
        no.checked = a?.yes === false;
      }
      const ev = $(inputId('evidence', c.id));
      if (ev) ev.value = typeof a?.evidence === 'string' ? a.evidence : '';
    } else if (c.kind === 'threshold') {
      const v = $(inputId('value', c.id));
      if (v) v.value = typeof a?.value === 'string' ? toInputText(a.value, lang) : '';
      const ev = $(inputId('evidence', c.id));
      if (ev) ev.value = typeof a?.evidence === 'string' ? a.evidence : '';
    } else {
      const tx = $(inputId('text', c.id));
      if (tx) tx.value = typeof a?.text === 'string' ? a.text : '';
    }
  }
  const prices = sub && typeof sub.initial_prices === 'object' && sub.initial_prices ? sub.initial_prices : {};
  let any = false;
  for (const l of candidateLots()) {
    const input = $(inputId('price', l.id));
    if (!input) continue;
    const p = prices[l.id];
    input.value = typeof p === 'string' ? toInputText(p, lang)
      : Array.isArray(p) ? p.map((x) => toInputText(String(x), lang)).join('; ') : '';
    if (input.value) any = true;
  }
  if (any) $('initial-details').open = true;
  for (const input of $('submission-form').querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** The submission the form holds, or the list of what cannot be sent. */
function readForm() {
  const answers = {};
  const problems = [];
  for (const c of criteria()) {
    if (c.kind === 'knock_out') {
      const yes = $(inputId('ko-yes', c.id));
      const no = $(inputId('ko-no', c.id));
      const evidence = $(inputId('evidence', c.id))?.value ?? '';
      if (yes?.checked) answers[c.id] = { yes: true, evidence };
      else if (no?.checked) answers[c.id] = { yes: false, evidence };
    } else if (c.kind === 'threshold') {
      const input = $(inputId('value', c.id));
      const text = input?.value.trim() ?? '';
      const evidence = $(inputId('evidence', c.id))?.value ?? '';
      input?.removeAttribute('aria-invalid');
      if (text === '') continue; // unanswered: the server names it
      const value = parseAmount(text, lang);
      if (value === null) {
        input.setAttribute('aria-invalid', 'true');
        problems.push({ input, text: t('local_bad_value', { id: c.id, text }) });
        continue;
      }
      answers[c.id] = { value, evidence };
    } else {
      const text = $(inputId('text', c.id))?.value ?? '';
      if (text.trim() !== '') answers[c.id] = { text };
    }
  }
  const prices = {};
  for (const l of candidateLots()) {
    const input = $(inputId('price', l.id));
    if (!input) continue;
    input.removeAttribute('aria-invalid');
    const text = input.value.trim();
    if (text === '') continue;
    const parts = text.split(';').map((s) => s.trim());
    const parsed = parts.map((s) => parseAmount(s, lang));
    if (parsed.some((p) => p === null)) {
      input.setAttribute('aria-invalid', 'true');
      problems.push({ input, text: t('local_bad_price', { id: l.id, text }) });
      continue;
    }
    prices[l.id] = parts.length > 1 ? parsed : parsed[0];
  }
  const submission = { answers };
  // Only turn-based rounds take initial prices: left out when none was typed.
  if (Object.keys(prices).length > 0) submission.initial_prices = prices;
  return { submission, problems };
}

function renderQuestions() {
  if (!isCandidate()) return;
  setText($('questions-help'), t('questions_help', { at: when(view.dates?.questions_close_at) }));
  const list = Array.isArray(view.you.questions) ? view.you.questions : [];
  const ul = $('own-questions');
  const sig = `${lang}|${JSON.stringify(list)}`;
  if (ul.dataset.sig === sig) return;
  ul.dataset.sig = sig;
  if (list.length === 0) {
    ul.replaceChildren(el('li', { class: 'muted' }, t('own_questions_none')));
    return;
  }
  ul.replaceChildren(...list.map((q) => el('li', { 'data-question': q.question },
    t('own_question', { n: q.question, text: q.text ?? '' }), ' ',
    el('span', { class: q.answered ? 'badge ok' : 'badge neutral' }, q.answered ? t('own_answered') : t('own_open')))));
}

function renderNota() {
  const list = Array.isArray(view.nota) ? view.nota : [];
  const ol = $('nota');
  const sig = `${lang}|${JSON.stringify(list)}`;
  if (ol.dataset.sig === sig) return;
  ol.dataset.sig = sig;
  if (list.length === 0) {
    ol.replaceChildren(el('li', { class: 'muted empty' }, t('nota_none')));
    return;
  }
  ol.replaceChildren(...list.map((n) => el('li', { 'data-question': n.question },
    el('p', { class: 'nota-q' }, el('strong', {}, `${t('nota_question', { n: n.question })}: `), n.text ?? ''),
    el('p', { class: 'nota-a' }, el('strong', {}, `${t('nota_answer', { at: when(n.answered_at) })}: `), n.answer ?? ''))));
}

function renderLetter() {
  const sec = $('letter-section');
  const letter = isCandidate() ? view.letter : null;
  sec.hidden = !letter;
  const box = $('letter');
  if (!letter) {
    box.replaceChildren();
    box.dataset.sig = '';
    return;
  }
  const sig = `${lang}|${JSON.stringify(letter)}|${JSON.stringify(view.lots ?? [])}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const nodes = [];
  const admitted = letter.admitted === true;
  nodes.push(el('p', { class: `notice ${admitted ? 'ok' : 'bad'}`, 'data-testid': 'letter-verdict', 'data-admitted': admitted ? 'true' : 'false' },
    el('strong', {}, admitted ? t('letter_admitted') : t('letter_excluded'))));
  if (!admitted && Array.isArray(letter.reasons) && letter.reasons.length) {
    nodes.push(el('h3', {}, t('letter_reasons')),
      el('ul', { 'data-testid': 'letter-reasons' }, ...letter.reasons.map((r) => el('li', {}, String(r)))));
  }
  if (admitted && letter.quality && typeof letter.quality === 'object') {
    const rows = Object.entries(letter.quality).map(([lot, v]) => el('tr', { 'data-lot': lot },
      el('th', { scope: 'row' }, lotName(lot)), el('td', { class: 'num' }, qualityValue(String(v)))));
    nodes.push(el('h3', { id: 'letter-quality-h' }, t('letter_quality')),
      el('table', { 'data-testid': 'letter-quality', 'aria-labelledby': 'letter-quality-h' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('col_lot')), el('th', { scope: 'col', class: 'num' }, t('col_value')))),
        el('tbody', {}, ...rows)));
    const known = has(`formula.${letter.scoring}`);
    nodes.push(el('h3', {}, t('letter_formula')),
      el('p', { 'data-testid': 'letter-formula' }, known ? t(`formula.${letter.scoring}`) : String(letter.formula ?? '')));
    if (letter.quality_rule) {
      nodes.push(el('h3', {}, t('letter_rule')),
        el('p', {}, t('letter_rule_text') || String(letter.quality_rule)));
    }
    if (letter.auction_config_sha256) {
      nodes.push(el('p', {}, `${t('letter_sha')}: `, el('code', { class: 'hash' }, String(letter.auction_config_sha256))));
    }
  }
  const evaluation = Array.isArray(letter.evaluation) ? letter.evaluation : [];
  if (evaluation.length) {
    const result = (e) => {
      const c = criteria().find((x) => x.id === e.criterion);
      // Quality criteria are scored, not passed or failed.
      const parts = e.kind === 'quality' ? [] : [e.passed ? t('ev_passed') : t('ev_failed')];
      if (typeof e.value === 'string') parts.push(t('ev_value', { value: valueIn(e.value, c?.unit) }));
      if (typeof e.points === 'number') {
        parts.push(t('ev_points', { points: e.points, max: e.points_max ?? c?.points_max ?? '?', weight: e.weight ?? c?.weight ?? '?' }));
      }
      return parts.join('; ');
    };
    nodes.push(el('h3', { id: 'letter-eval-h' }, t('letter_evaluation')),
      el('div', { class: 'table-wrap', role: 'region', tabindex: 0, 'aria-labelledby': 'letter-eval-h' },
        el('table', { 'data-testid': 'letter-evaluation' },
          el('thead', {}, el('tr', {},
            el('th', { scope: 'col' }, t('col_id')), el('th', { scope: 'col' }, t('col_kind')),
            el('th', { scope: 'col' }, t('col_result')), el('th', { scope: 'col' }, t('col_motivation')))),
          el('tbody', {}, ...evaluation.map((e) => el('tr', { 'data-criterion': e.criterion, 'data-passed': e.passed ? 'true' : 'false' },
            el('th', { scope: 'row' }, el('code', {}, e.criterion ?? '')),
            el('td', {}, kindWord(e.kind)),
            el('td', {}, result(e)),
            el('td', {}, e.motivation ?? '')))))));
  }
  box.replaceChildren(...nodes);
}

/** Enable the candidate's buttons when the step can be taken, and say why not otherwise. */
function renderControls() {
  if (!isCandidate()) return;
  const registered = Boolean(view.you.registered);
  const open = qualificationOpen();
  const notOpen = t('why_not_open', { phase: phaseWord(view.phase) });
  const set = (buttons, why, key) => {
    const reason = busy[key] ? t('why_busy') : why;
    for (const b of buttons) b.disabled = Boolean(reason);
    setText($(`${key}-why`), reason || '');
  };
  set([$('register')], registered ? t('why_registered') : !open ? notOpen : '', 'register');
  const why = !open ? notOpen : !registered ? t('why_not_registered') : '';
  set([$('submission-submit'), $('upload-submit')], why, 'submission');
  set([$('question-submit')], why, 'question');
}

// ---------------------------------------------------------------------------------------------
// Answers

/** The refusal of a 409 in words, from its code and fields. */
function refusalText(rej) {
  const code = rej && typeof rej.code === 'string' ? rej.code : '?';
  const vars = { ...rej };
  for (const k of ['opens_at', 'closes_at', 'closed_at']) if (typeof rej?.[k] === 'number') vars[k] = when(rej[k]);
  if (typeof rej?.phase === 'string') vars.phase = phaseWord(rej.phase);
  if (Array.isArray(rej?.missing)) {
    vars.missing = rej.missing.map((m) => {
      const lot = /^initial_prices\.(.+)$/.exec(m);
      return lot ? t('missing_price', { lot: lotName(lot[1]) }) : m;
    }).join(', ');
  }
  if (typeof rej?.criterion === 'string') {
    const lot = /^initial_prices\.(.+)$/.exec(rej.criterion);
    if (lot && code === 'bad_answer') return t('why.bad_price', { lot: lotName(lot[1]), why: rej.why ?? '' });
  }
  return has(`why.${code}`) ? t(`why.${code}`, vars) : t('why.unknown', { code });
}

function okText(action, outcome) {
  const ev = Array.isArray(outcome?.accepted) ? outcome.accepted[0] : null;
  if (action === 'submission') return ev?.replaces ? t('ok.submission_replaces') : t('ok.submission');
  if (action === 'question') return t('ok.question', { n: ev?.question ?? '?' });
  return t('ok.register');
}

function hashCode(hash) {
  return el('code', { class: 'hash', 'data-testid': 'receipt-hash' }, String(hash ?? ''));
}

/** The nodes that show one answer, and its kind. */
function resultView(action, entry) {
  if (entry.sending) return { kind: 'sending', nodes: [el('p', {}, t('res_sending'))] };
  if (entry.local) {
    return {
      kind: 'local',
      nodes: [el('p', {}, el('strong', {}, entry.local.title ? t(entry.local.title, entry.local.vars) : t('local_not_sent'))),
        entry.local.items ? el('ul', {}, ...entry.local.items.map((i) => el('li', {}, i))) : null],
    };
  }
  const r = entry.res;
  if (r.status === 0) return { kind: 'error', nodes: [el('p', {}, t('res_network', { error: r.error ?? '' }))] };
  const body = r.body && typeof r.body === 'object' ? r.body : {};
  const rec = Array.isArray(body.records) ? body.records[0] : null;
  if (r.status === 200 && body.accepted === true) {
    const ev = Array.isArray(rec?.outcome?.accepted) ? rec.outcome.accepted[0] : null;
    return {
      kind: 'accepted',
      nodes: [
        el('p', {}, el('strong', {}, okText(action, rec?.outcome))),
        el('p', { class: 'receipt', 'data-testid': 'receipt', 'data-seq': rec?.seq ?? '' },
          t('receipt', { seq: rec?.seq ?? '?' }), ' ', hashCode(rec?.hash)),
        typeof ev?.at === 'number' ? el('p', { class: 'muted' }, t('receipt_at', { at: when(ev.at) })) : null,
      ],
    };
  }
  if (r.status === 409 && body.accepted === false) {
    const rej = rec?.outcome?.rejected ?? {};
    return {
      kind: 'refused',
      code: rej.code,
      nodes: [
        el('p', {}, el('strong', {}, t('refused', { text: refusalText(rej) }))),
        el('p', {}, t('refused_code', { code: rej.code ?? '?' })),
        body.message ? el('p', { class: 'server-message' }, t('refused_message', { message: String(body.message).trim() })) : null,
        rec ? el('p', { class: 'muted' }, t('refused_record', { seq: rec.seq }), ' ', hashCode(rec.hash)) : null,
      ],
    };
  }
  const key = has(`err.${r.status}`) ? `err.${r.status}` : 'err.other';
  const s = typeof body.retry_after_ms === 'number' ? Math.max(1, Math.ceil(body.retry_after_ms / 1000)) : 1;
  return {
    kind: 'error',
    nodes: [
      el('p', {}, el('strong', {}, t(key, { status: r.status, s }))),
      body.error ? el('p', { class: 'server-message' }, t('err_detail', { error: String(body.error) })) : null,
    ],
  };
}

function renderResult(action) {
  const box = $(`${action}-result`);
  const entry = results[action];
  if (!entry) {
    box.replaceChildren();
    box.className = 'result';
    box.removeAttribute('data-kind');
    box.removeAttribute('data-code');
    return;
  }
  const v = resultView(action, entry);
  const cls = { accepted: 'ok', refused: 'bad', error: 'bad', local: 'warn', sending: 'info' }[v.kind] ?? 'info';
  box.className = `result notice ${cls}`;
  box.dataset.kind = v.kind;
  if (v.code) box.dataset.code = v.code;
  else box.removeAttribute('data-code');
  box.replaceChildren(...v.nodes.filter(Boolean));
}

/** Send one candidate step and show its answer; refresh the tender afterwards. */
async function step(action, path, body) {
  busy[action] = true;
  results[action] = { sending: true };
  renderResult(action);
  renderControls();
  const res = await api('POST', path, body);
  busy[action] = false;
  results[action] = { res };
  renderResult(action);
  if (res.status === 401) {
    // The token is no longer known (a restarted server with new tokens): back to sign-in.
    signOut();
    setText($('signin-error'), t('signin_refused'));
    return res;
  }
  if (action === 'submission' && res.status === 409) openInitialPricesIfNeeded(res.body);
  if (res.status === 200) {
    // Accepted: the tender changed (a refusal changes nothing but the log). The form then
    // shows the submission the server holds.
    if (action === 'submission') dirty = false;
    await load();
  } else {
    renderControls();
  }
  return res;
}

function openInitialPricesIfNeeded(body) {
  const rej = body?.records?.[0]?.outcome?.rejected;
  const names = [...(Array.isArray(rej?.missing) ? rej.missing : []), rej?.criterion].filter((x) => typeof x === 'string');
  const lot = names.map((m) => /^initial_prices\.(.+)$/.exec(m)).find(Boolean);
  if (!lot) return;
  $('initial-details').open = true;
  $(inputId('price', lot[1]))?.focus();
}

function localResult(action, title, items, vars) {
  results[action] = { local: { title, items, vars } };
  renderResult(action);
}

async function register() {
  await step('register', '/tender/register', undefined);
}

async function submitForm(e) {
  e.preventDefault();
  if ($('submission-submit').disabled) return;
  const { submission, problems } = readForm();
  if (problems.length) {
    localResult('submission', null, problems.map((p) => p.text));
    problems[0].input.focus();
    return;
  }
  await step('submission', '/tender/submission', JSON.stringify(submission));
}

async function uploadFile() {
  const file = $('submission-file').files?.[0];
  if (!file) {
    localResult('submission', 'upload_none');
    $('submission-file').focus();
    return;
  }
  if (file.size > BODY_MAX) {
    localResult('submission', 'upload_too_big', null, { size: fmtNumber(String(file.size), lang) });
    return;
  }
  let text;
  try { text = await file.text(); } catch (err) {
    results.submission = { res: { status: 0, body: null, error: String(err) } };
    renderResult('submission');
    return;
  }
  await step('submission', '/tender/submission', text);
}

async function ask(e) {
  e.preventDefault();
  if ($('question-submit').disabled) return;
  const text = $('question-text').value;
  if (text.trim() === '') {
    localResult('question', 'question_empty');
    $('question-text').focus();
    return;
  }
  const res = await step('question', '/tender/questions', JSON.stringify({ text }));
  if (res.status === 200 && $('question-text').value === text) $('question-text').value = '';
}

// ---------------------------------------------------------------------------------------------
// Sign-in

function showSignedIn(on) {
  $('signin').hidden = on;
  $('app').hidden = !on;
  $('sign-out').hidden = !token;
  $('refresh').hidden = !on;
}

function signIn(tok) {
  token = tok;
  rememberToken(tok);
  setText($('signin-error'), '');
  $('sign-out').hidden = false;
  load();
}

function signOut() {
  token = null;
  view = null;
  rememberToken(null);
  status = 'signed-out';
  loadedAt = null;
  builtFor = '';
  dirty = false;
  for (const k of Object.keys(results)) results[k] = null;
  $('answers').replaceChildren();
  $('initial-prices').replaceChildren();
  $('letter').replaceChildren();
  for (const id of ['dates', 'nota', 'own-questions', 'letter']) $(id).dataset.sig = '';
  $('criteria').tBodies[0].dataset.sig = '';
  $('criteria').tBodies[0].replaceChildren();
  setText($('whoami'), '');
  $('token').value = '';
  showSignedIn(false);
  applyI18n();
  renderConn();
}

function onLangChange() {
  const old = lang;
  lang = getLang();
  // Values typed in one language's style are rewritten in the other's.
  for (const input of document.querySelectorAll('#submission-form input.decimal')) {
    const parts = input.value.split(';').map((s) => s.trim()).filter((s) => s !== '');
    const parsed = parts.map((s) => parseAmount(s, old));
    if (parts.length && parsed.every((p) => p !== null)) input.value = parsed.map((p) => toInputText(p, lang)).join('; ');
  }
  renderAll();
}

function init() {
  bindLangSwitch($('lang'), onLangChange);
  lang = getLang();
  applyI18n();
  renderConn();
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const tok = $('token').value.trim();
    if (!tok) {
      setText($('signin-error'), t('signin_empty'));
      $('token').focus();
      return;
    }
    signIn(tok);
  });
  $('sign-out').addEventListener('click', () => { signOut(); $('token').focus(); });
  $('refresh').addEventListener('click', () => load());
  $('register').addEventListener('click', register);
  $('submission-form').addEventListener('submit', submitForm);
  $('submission-form').addEventListener('input', () => { dirty = true; });
  $('submission-form').addEventListener('change', () => { dirty = true; });
  $('upload-submit').addEventListener('click', uploadFile);
  $('question-form').addEventListener('submit', ask);
  // The nota and the phase change on the server: look again now and then while the tab is seen.
  setInterval(() => {
    if (token && document.visibilityState === 'visible' && !Object.values(busy).some(Boolean)) load();
  }, REFRESH_MS);
  const tok = initialToken();
  if (tok) signIn(tok);
}

init();
