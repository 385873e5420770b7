// The bidder page: a supplier signs in with its token, sees its own standing per lot and bids
// prices down live. Everything shown comes from the server's supplier snapshot (the truth) and
// its notices (events to show); answers to bids are matched by req_id through Session.request.
//
// A bid whose answer is lost with the connection is kept (also in sessionStorage) and sent again
// after the reconnect with the SAME client_bid_id, so the server answers `repeated: true` if it
// had already accepted it: a bid is never silently lost and never placed twice.

import {
  $, Session, translator, getLang, bindLangSwitch, dec, decCmp, decAdd, decMul, decString,
  dropsMoreThan, dropPercent, fmtMoney, fmtNumber, parseAmount, toInputText, fmtTime, fmtClock,
  fmtCountdown, el, initialToken, rememberToken, TIME_ZONE,
} from './common.js';

// ---------------------------------------------------------------------------------------------
// Texts

const DICT = {
  nl: {
    page_title: 'Bieden',
    doc_title: 'Bieden — {title}',
    practice_prefix: 'Oefenveiling · ',
    practice_word: 'OEFENVEILING',
    practice_banner: ' — dit is een oefening. Niets wat u hier biedt is bindend, en de inkopers zien het niet.',
    practice_bots: ' De oefenbots (andere bieders) bieden vanzelf.',
    st_closed_practice: 'De oefenveiling is gesloten. Een oefenveiling wordt nooit gegund.',
    language: 'Taal',
    sign_out: 'Afmelden',
    signin_heading: 'Aanmelden',
    signin_help: 'Meld u aan met het token dat u van de veilingmeester kreeg.',
    token_label: 'Token',
    sign_in: 'Aanmelden',
    signin_empty: 'Vul uw token in.',
    signin_refused: 'Het token is geweigerd. Controleer het en probeer het opnieuw.',
    signin_not_supplier: 'Dit token hoort niet bij een leverancier. Veilingmeesters gebruiken de veilingconsole.',
    signin_busy: 'Aanmelden…',
    'conn_signed-out': 'niet aangemeld',
    conn_connecting: 'verbinden…',
    conn_open: 'verbonden',
    conn_reconnecting: 'opnieuw verbinden…',
    conn_failed: 'aanmelding geweigerd',
    conn_label: 'Verbinding: {status}',
    whoami: 'Leverancier {id} — {title}',
    lots_heading: 'Kavels',
    messages_heading: 'Berichten en gebeurtenissen',
    messages_empty: 'Nog geen berichten.',
    receipts_heading: 'Ontvangstbewijzen',
    receipts_help: 'Elk aanvaard bod krijgt een ontvangstbewijs: het volgnummer en de hash van de regel in het logboek van de veiling. Bewaar ze: daarmee kunt u later aantonen dat uw bod is vastgelegd.',
    receipts_download: 'Ontvangstbewijzen downloaden (JSON)',
    receipts_empty: 'Nog geen aanvaarde biedingen.',
    receipts_file: 'ontvangstbewijzen',
    receipts_region: 'Tabel van ontvangstbewijzen',
    col_time: 'Tijd',
    col_lot: 'Kavel',
    col_total: 'Totaal',
    col_seq: 'Volgnummer',
    col_hash: 'Hash (SHA-256)',
    receipt_repeated: 'herhaling van bod #{bid}',
    receipt_voided: 'bod later ongeldig verklaard',
    receipt_line: 'Ontvangstbewijs: #{seq}',
    confirm_heading: 'Grote daling bevestigen',
    confirm_text: 'Uw nieuwe bod op {lot} ligt {pct}% onder uw huidige bod. Dat is meer dan {limit}%. Klopt dit bedrag?',
    confirm_old: 'Uw huidige bod',
    confirm_new: 'Uw nieuwe bod',
    confirm_drop: 'Daling',
    confirm_yes: 'Ja, dit bod plaatsen',
    confirm_no: 'Nee, terug',
    phase_label: 'Fase:',
    phase_scheduled: 'nog niet open',
    phase_open: 'open',
    phase_paused: 'gepauzeerd',
    phase_closed: 'gesloten',
    phase_awarded: 'gegund',
    phase_terminated: 'beëindigd',
    time_left: 'Resterende tijd',
    closing_time: 'Sluitingstijd:',
    cd_disconnected: 'verbinding verbroken — tijd mogelijk onjuist',
    cd_paused: 'gepauzeerd — de klok staat stil',
    cd_closing: 'sluiten…',
    cd_scheduled: 'nog niet geopend',
    cd_opens: 'opent om {time}',
    cd_closed: 'gesloten',
    cd_awarded: 'gegund',
    cd_terminated: 'beëindigd',
    own_bid: 'Uw laatste bod',
    own_lines: 'Uw prijzen per eenheid',
    own_line: '{desc}: {price} per {unit} × {qty}',
    own_score: 'Uw score',
    score_hint: '(na kwaliteitscorrectie; lager is beter)',
    rank: 'Uw positie',
    best: 'Beste score',
    bidder_count: 'Aantal bieders',
    max_adm: 'U kunt maximaal {amount} bieden.',
    max_adm_lines: 'U kunt maximaal {amount} bieden (totaal van alle regels).',
    min_adm: 'Het laagste toegestane bod is nu {amount}.',
    no_bid_now: 'Bieden is nu niet mogelijk.',
    new_bid: 'Nieuw bod',
    bid_input_label: 'Nieuw bod: totaalprijs in euro',
    bid_input_hint: 'Bijvoorbeeld {example}. Druk op Enter of op Bieden.',
    example: '1.234,50',
    lines_caption: 'Prijzen per eenheid',
    lines_region: 'Prijzen per eenheid voor {lot}',
    col_desc: 'Omschrijving',
    col_unit: 'Eenheid',
    col_qty: 'Aantal',
    col_unit_price: 'Prijs per eenheid (€)',
    col_line_total: 'Regeltotaal',
    line_input_label: 'Prijs per {unit}: {desc}',
    total_label: 'Totaal van uw nieuwe bod:',
    total_incomplete: '{amount} (nog niet alle regels ingevuld)',
    total_invalid: 'ongeldige prijs bij {desc}',
    submit: 'Bieden',
    why_disconnected: 'Geen verbinding met de server: bieden kan weer zodra de verbinding hersteld is.',
    why_busy: 'Uw vorige bod op dit kavel wacht nog op antwoord.',
    hint_scheduled: 'Dit kavel is nog niet open; een bod wordt nu geweigerd.',
    hint_paused: 'De veiling is gepauzeerd; een bod wordt nu geweigerd.',
    hint_closed: 'Dit kavel is gesloten; er worden geen biedingen meer aangenomen.',
    hint_not_admitted: 'U bent niet toegelaten tot dit kavel.',
    hint_disqualified: 'U bent gediskwalificeerd; uw biedingen worden geweigerd.',
    ans_pending: 'Bod van {amount} verzonden; wacht op antwoord…',
    ans_slow: 'Bod van {amount} verzonden; nog geen antwoord ontvangen. Sluit deze pagina niet.',
    ans_lost: 'De verbinding viel weg voordat het antwoord op uw bod van {amount} binnenkwam. Zodra de verbinding terug is, wordt hetzelfde bod opnieuw verzonden met hetzelfde kenmerk; het kan dus nooit dubbel worden geplaatst.',
    ans_resending: 'Verbinding hersteld: uw bod van {amount} wordt opnieuw verzonden met hetzelfde kenmerk ({id})…',
    ans_expired: 'Uw bod van {amount} (verzonden om {time}) kreeg geen antwoord en staat niet bij uw biedingen: het is niet geplaatst. Het is niet vanzelf opnieuw verzonden omdat de verbinding te lang weg was. Bied opnieuw als u dat wilt.',
    ans_accepted: 'Bod van {amount} aanvaard.',
    ans_voided_later: 'De veilingmeester heeft dit bod (#{bid}) daarna ongeldig verklaard; zie uw positie hierboven.',
    ans_rank: 'Uw positie: {rank}.',
    ans_repeated: 'Dit bod was al aanvaard als bod #{bid}; het is niet dubbel geplaatst.',
    ans_deadline: 'Sluitingstijd nu {time}.',
    ans_not_sent: 'Niet verzonden: er is geen verbinding met de server.',
    ans_rejected: 'Bod geweigerd:',
    ans_logged: '(weigering vastgelegd als #{seq})',
    ans_error: 'Bod niet verwerkt:',
    ans_cancelled: 'Bod niet geplaatst: u heeft de daling niet bevestigd.',
    local_empty: 'Vul een bedrag in.',
    local_empty_line: 'Vul een prijs per eenheid in bij {desc}.',
    local_invalid: '“{text}” is geen geldig bedrag. Schrijf bijvoorbeeld {example}.',
    where_line: ' (regel {line}: {desc})',
    rej_not_admitted_to_lot: 'U bent niet toegelaten tot dit kavel.',
    rej_disqualified: 'U bent gediskwalificeerd; uw biedingen worden geweigerd.',
    rej_auction_not_open: 'De veiling is nog niet geopend.',
    rej_auction_paused: 'De veiling is gepauzeerd. U kunt weer bieden zodra de veilingmeester de veiling hervat.',
    rej_auction_ended: 'De veiling is afgelopen; er worden geen biedingen meer aangenomen.',
    rej_lot_not_open: 'Dit kavel is nog niet open.',
    rej_lot_closed: 'Dit kavel is gesloten (sluitingstijd {deadline}).',
    rej_bid_too_soon: 'U bood te kort na uw vorige bod op dit kavel. U kunt weer bieden vanaf {next_allowed_at}.',
    rej_client_bid_id_reused: 'Het kenmerk van dit bod was al gebruikt (bod #{original}). Probeer het opnieuw; de pagina kiest dan een nieuw kenmerk.',
    rej_client_bid_id_invalid: 'Het kenmerk van dit bod is ongeldig. Probeer het opnieuw.',
    rej_lines_expected: 'Dit kavel vraagt om een prijs per regel ({lines} regels).',
    rej_total_expected: 'Dit kavel vraagt om één totaalprijs.',
    rej_line_count_mismatch: 'Het aantal prijzen ({got}) past niet bij het aantal regels ({expected}).',
    rej_not_positive: 'Een prijs moet groter zijn dan nul{where}; u bood {offered}.',
    rej_too_many_decimals: 'Een prijs mag hoogstens {decimals_max} decimalen hebben{where}; u bood {offered}. Er wordt niets afgerond.',
    rej_price_out_of_range: 'Het bedrag is te groot om te verwerken.',
    rej_above_ceiling: 'Uw bod van {offered} ligt boven het plafond van {ceiling}. Bied {ceiling} of lager.',
    rej_below_floor: 'Uw bod van {offered} ligt onder de bodemprijs van {floor}. Bied {floor} of hoger.',
    rej_decrement_too_small: 'Uw bod van {offered} is niet laag genoeg. Een nieuw bod moet minstens één stap onder uw eigen bod van {reference} liggen: u kunt maximaal {required_max} bieden.',
    rej_score_decrement_too_small: 'De score van uw bod ({score}) is niet laag genoeg: die moet maximaal {required_max} zijn (de beste score {best} min één stap).',
    rej_drop_too_large: 'Uw bod van {offered} ligt te ver onder uw vorige bod van {previous}; dit lijkt een tikfout. Het laagste toegestane bod is {minimum}.',
    rej_tie_at_best: 'De score van uw bod ({score}) is gelijk aan de beste score. Een gelijke score wordt niet aanvaard: bied lager.',
    rej_bid_limit_reached: 'U heeft het hoogste toegestane aantal biedingen op dit kavel bereikt ({bids_max}).',
    rej_already_bid: 'Dit is een gesloten inschrijving: één bod per kavel, en u heeft al bod #{bid} uitgebracht.',
    rank_sealed: 'bekend na de sluiting',
    rej_not_offered_price: 'Dit is een Hollandse veiling: u accepteert de prijs die nu wordt aangeboden, {price}, door precies die prijs te bieden; u bood {offered}. De prijs is misschien net gestegen.',
    offered: 'Aangeboden prijs',
    next_price: 'Volgende prijs om',
    st_dutch: 'Hollandse veiling: elk kavel biedt een prijs die stap voor stap stijgt. Wie die prijs als eerste accepteert (door precies die prijs te bieden), wint het kavel; het kavel sluit dan meteen.',
    st_sealed: 'Gesloten inschrijving: u brengt één bod per kavel uit. Niemand ziet biedingen, posities of de beste prijs tot het kavel sluit; dan worden alle biedingen tegelijk geopend.',
    rej_unknown: '{message}',
    err_rate_limited: 'Te veel berichten kort na elkaar. Uw bod is niet verwerkt; probeer het over {seconds} seconden opnieuw.',
    err_bad_price: 'Het bedrag is geen geldig getal.',
    err_overloaded: 'De server is op dit moment te druk. Uw bod is niet verwerkt; probeer het opnieuw.',
    err_log_sealed: 'De veiling is afgesloten; er wordt niets meer aangenomen.',
    err_unavailable: 'De veiling is tijdelijk niet beschikbaar. Uw bod is niet verwerkt; probeer het later opnieuw.',
    err_forbidden: 'Alleen leveranciers mogen bieden.',
    err_unknown_lot: 'Dit kavel bestaat niet.',
    err_not_authenticated: 'U bent niet aangemeld.',
    err_too_many_connections: 'Er zijn al te veel vensters met dit token geopend. Sluit er een; de pagina probeert het zo opnieuw.',
    err_technical: 'Technische fout: de server begreep het bericht niet ({message}).',
    err_unknown: '{message}',
    ev_auction_open: 'De veiling is geopend.',
    ev_auction_closed: 'De veiling is gesloten.',
    ev_auction_awarded: 'Alle kavels zijn gegund.',
    ev_auction_scheduled: 'De veiling is gepland.',
    ev_lot_open: 'Kavel {lot} is geopend; sluitingstijd {time}.',
    ev_lot_closed: 'Kavel {lot} is gesloten.',
    ev_lot_scheduled: 'Kavel {lot} opent om {time}.',
    ev_lot_awarded: 'Kavel {lot} is gegund.',
    ev_extended_soft: 'Kavel {lot} is verlengd van {from} tot {to}: er werd geboden in de slotfase (verlenging {n}).',
    ev_extended_manual: 'Kavel {lot} is door de veilingmeester verlengd van {from} tot {to}. Reden: {reason}',
    ev_paused: 'De veiling is gepauzeerd. Reden: {reason}',
    ev_resumed: 'De veiling is hervat. Reden: {reason}. De sluitingstijden zijn {duration} later.',
    ev_voided_yours: 'Uw bod #{bid} op kavel {lot} is ongeldig verklaard. Reden: {reason}',
    ev_voided_other: 'Een bod van een andere leverancier op kavel {lot} is ongeldig verklaard; de posities zijn herberekend.',
    ev_disqualified: 'U bent gediskwalificeerd. Reden: {reason}',
    ev_dropped: 'U bent uit kavel {lot}: u heeft de prijs van stap {step} niet op tijd bevestigd. Dat is definitief.',
    st_japanese: 'Japanse veiling: elk kavel biedt een prijs die stap voor stap daalt. Bevestig elke prijs (door precies die prijs te bieden) vóór de volgende komt, anders valt u definitief af. Wie het langst blijft, wint.',
    rej_dropped_out: 'U bent uit dit kavel: u heeft een prijs niet op tijd bevestigd, en dat is definitief.',
    rej_already_confirmed: 'U heeft de prijs van {price} al bevestigd; wacht op de volgende prijs.',
    confirmed_wait: 'U heeft deze prijs bevestigd. Bevestig de volgende prijs zodra die komt.',
    rank_dropped: 'uitgevallen',
    st_rounds: 'Veilen in rondes: u brengt per ronde één bod uit (een later bod in dezelfde ronde vervangt het eerdere) en verbetert daarmee uw bod van de vorige ronde. Uw positie en de beste score ziet u pas als de ronde sluit, tegelijk met iedereen.',
    round: 'Ronde',
    round_value: '{n}, sluit om {time}',
    st_turns: 'Rondes met beurten: iedereen begint met de prijs van zijn inschrijving. In elke ronde krijgt elke bieder één eigen beurt, op volgorde van de slechtste score naar de beste (wie vooraan staat, is als laatste). In uw beurt verlaagt u uw prijs met minstens één stap, of u behoudt hem; buiten uw beurt kunt u niets doen. Na elke beurt ziet iedereen alle prijzen, zonder namen.',
    turn_round: 'Ronde',
    turn_round_value: '{round} van {rounds}',
    published: 'Alle prijzen (beste eerst)',
    published_score: '{total} (score {score})',
    published_yours: 'uw prijs',
    turn_yours: 'U bent aan de beurt tot {time}. Bied lager, of behoud uw prijs.',
    turn_other_wait: 'Beurt {turn} van {turns} loopt, u bent {yours}.',
    turn_other_done: 'Beurt {turn} van {turns} loopt; uw beurt in deze ronde (als {yours}) is voorbij.',
    turn_other_none: 'Beurt {turn} van {turns} loopt; u heeft in deze ronde geen beurt.',
    turn_pause: 'De ronde begint om {time}; u bent dan {yours} aan de beurt.',
    turn_pause_none: 'De ronde begint om {time}; u heeft in deze ronde geen beurt.',
    ordinal: '{n}e',
    keep: 'Prijs behouden',
    why_turn_wait: 'Het is niet uw beurt: bieden of uw prijs behouden kan pas in uw eigen beurt (u bent {yours} in deze ronde).',
    why_turn_done: 'Het is niet uw beurt: u was in deze ronde al aan de beurt. In de volgende ronde krijgt u een nieuwe beurt.',
    why_turn_last: 'Het is niet uw beurt: uw laatste beurt is voorbij.',
    why_turn_none: 'Het is niet uw beurt: u heeft in deze ronde geen beurt.',
    why_turn_pause: 'De ronde is nog niet begonnen: bieden of uw prijs behouden kan pas in uw eigen beurt (u bent {yours}).',
    why_turn_pause_none: 'De ronde is nog niet begonnen, en u heeft in deze ronde geen beurt.',
    timer_turn: 'Resterende tijd van deze beurt',
    timer_pause: 'Tijd tot de ronde begint',
    cd_turn_yours: 'uw beurt',
    cd_turn_other: 'beurt {turn} van {turns}',
    cd_turn_pause: 'pauze tussen de rondes',
    ans_keep_pending: 'Prijs behouden: verzonden, wacht op antwoord…',
    ans_kept: 'U heeft uw prijs van {amount} behouden; uw beurt is voorbij.',
    ans_keep_lost: 'De verbinding viel weg voordat het antwoord op “prijs behouden” binnenkwam. Zodra de verbinding terug is, ziet u hierboven of uw beurt nog loopt.',
    ans_keep_rejected: 'Prijs behouden geweigerd:',
    ans_keep_error: 'Prijs behouden niet verwerkt:',
    rej_not_your_turn: 'Het is niet uw beurt op kavel {lot}. U kunt alleen in uw eigen beurt bieden of uw prijs behouden; er is niets veranderd.',
    rej_no_turns: 'Deze veiling heeft geen beurten, dus “prijs behouden” bestaat hier niet. Uw bod blijft staan tot u een nieuw bod doet.',
    ev_turn_round: 'Kavel {lot}: ronde {round} begint om {time}; u bent {yours} aan de beurt.',
    ev_turn_round_none: 'Kavel {lot}: ronde {round} begint om {time}; u heeft in deze ronde geen beurt.',
    ev_turn_started_yours: 'Uw beurt in kavel {lot} is begonnen: bied lager of behoud uw prijs vóór {time}.',
    ev_turn_started: 'Kavel {lot}: beurt {turn} van ronde {round} is begonnen.',
    ev_turn_ended_yours_kept: 'Uw beurt in kavel {lot} is voorbij: uw prijs is behouden.',
    ev_turn_ended_yours_bid: 'Uw beurt in kavel {lot} is voorbij: u heeft uw prijs verlaagd.',
    ev_turn_ended_kept: 'Kavel {lot}: beurt {turn} is voorbij; de prijs is behouden.',
    ev_turn_ended_bid: 'Kavel {lot}: beurt {turn} is voorbij; de prijs is verlaagd.',
    ev_message: 'Bericht van de veilingmeester: {text}',
    ev_terminated: 'De veiling is beëindigd. Reden: {reason}',
    ev_result_won: 'Kavel {lot} is gegund: u heeft gewonnen (eindpositie {rank}).',
    ev_result_lost: 'Kavel {lot} is gegund aan een andere leverancier. Uw eindpositie: {rank}.',
    ev_result_norank: 'Kavel {lot} is gegund aan een andere leverancier.',
    st_scheduled: 'De veiling is nog niet geopend.',
    st_paused: 'De veiling is gepauzeerd. Bieden kan pas weer als de veilingmeester de veiling hervat.',
    st_closed: 'De veiling is gesloten. De gunning volgt.',
    st_awarded: 'De veiling is afgerond en gegund.',
    st_terminated: 'De veiling is beëindigd; er wordt niets meer aangenomen.',
    st_disqualified: 'U bent gediskwalificeerd. Uw biedingen worden niet meer aanvaard.',
    st_reason: 'Reden: {reason}',
    lot_won: 'Gegund: u heeft dit kavel gewonnen (eindpositie {rank}).',
    lot_lost: 'Gegund aan een andere leverancier. Uw eindpositie: {rank}.',
    lot_lost_norank: 'Gegund aan een andere leverancier.',
    lot_voided: 'Uw bod #{bid} is door de veilingmeester ongeldig verklaard. Reden: {reason}. Uw stand is herberekend.',
    ext_soft: 'Verlengd: de sluitingstijd is verschoven van {from} naar {to}, omdat er in de slotfase werd geboden (verlenging {n}).',
    ext_manual: 'Verlengd door de veilingmeester: de sluitingstijd is verschoven van {from} naar {to}. Reden: {reason}',
    dur_s: '{s} s',
    dur_ms: '{m} min {s} s',
    none: '–',
  },
  en: {
    page_title: 'Bidding',
    doc_title: 'Bidding — {title}',
    practice_prefix: 'Practice · ',
    practice_word: 'PRACTICE AUCTION',
    practice_banner: ' — this is a rehearsal. Nothing you bid here is binding, and the buyers do not see it.',
    practice_bots: ' The practice bots (other bidders) bid by themselves.',
    st_closed_practice: 'The practice auction has closed. A practice auction is never awarded.',
    language: 'Language',
    sign_out: 'Sign out',
    signin_heading: 'Sign in',
    signin_help: 'Sign in with the token you received from the auctioneer.',
    token_label: 'Token',
    sign_in: 'Sign in',
    signin_empty: 'Enter your token.',
    signin_refused: 'The token was refused. Check it and try again.',
    signin_not_supplier: 'This token does not belong to a supplier. Auctioneers use the auction console.',
    signin_busy: 'Signing in…',
    'conn_signed-out': 'signed out',
    conn_connecting: 'connecting…',
    conn_open: 'connected',
    conn_reconnecting: 'reconnecting…',
    conn_failed: 'sign-in refused',
    conn_label: 'Connection: {status}',
    whoami: 'Supplier {id} — {title}',
    lots_heading: 'Lots',
    messages_heading: 'Messages and events',
    messages_empty: 'No messages yet.',
    receipts_heading: 'Receipts',
    receipts_help: 'Every accepted bid gets a receipt: the sequence number and the hash of its line in the auction’s log. Keep them: with them you can later prove that your bid was recorded.',
    receipts_download: 'Download receipts (JSON)',
    receipts_empty: 'No accepted bids yet.',
    receipts_file: 'receipts',
    receipts_region: 'Table of receipts',
    col_time: 'Time',
    col_lot: 'Lot',
    col_total: 'Total',
    col_seq: 'Sequence no.',
    col_hash: 'Hash (SHA-256)',
    receipt_repeated: 'repeat of bid #{bid}',
    receipt_voided: 'bid voided later',
    receipt_line: 'Receipt: #{seq}',
    confirm_heading: 'Confirm a large drop',
    confirm_text: 'Your new bid on {lot} is {pct}% below your current bid. That is more than {limit}%. Is this amount right?',
    confirm_old: 'Your current bid',
    confirm_new: 'Your new bid',
    confirm_drop: 'Drop',
    confirm_yes: 'Yes, place this bid',
    confirm_no: 'No, go back',
    phase_label: 'Phase:',
    phase_scheduled: 'not open yet',
    phase_open: 'open',
    phase_paused: 'paused',
    phase_closed: 'closed',
    phase_awarded: 'awarded',
    phase_terminated: 'terminated',
    time_left: 'Time left',
    closing_time: 'Closing time:',
    cd_disconnected: 'connection lost — time may be wrong',
    cd_paused: 'paused — the clock is stopped',
    cd_closing: 'closing…',
    cd_scheduled: 'not open yet',
    cd_opens: 'opens at {time}',
    cd_closed: 'closed',
    cd_awarded: 'awarded',
    cd_terminated: 'terminated',
    own_bid: 'Your last bid',
    own_lines: 'Your unit prices',
    own_line: '{desc}: {price} per {unit} × {qty}',
    own_score: 'Your score',
    score_hint: '(after quality adjustment; lower is better)',
    rank: 'Your rank',
    best: 'Best score',
    bidder_count: 'Number of bidders',
    max_adm: 'You can bid at most {amount}.',
    max_adm_lines: 'You can bid at most {amount} (total of all lines).',
    min_adm: 'The lowest bid allowed now is {amount}.',
    no_bid_now: 'You cannot bid now.',
    new_bid: 'New bid',
    bid_input_label: 'New bid: total price in euros',
    bid_input_hint: 'For example {example}. Press Enter or Place bid.',
    example: '1,234.50',
    lines_caption: 'Unit prices',
    lines_region: 'Unit prices for {lot}',
    col_desc: 'Description',
    col_unit: 'Unit',
    col_qty: 'Quantity',
    col_unit_price: 'Unit price (€)',
    col_line_total: 'Line total',
    line_input_label: 'Price per {unit}: {desc}',
    total_label: 'Total of your new bid:',
    total_incomplete: '{amount} (not all lines filled in yet)',
    total_invalid: 'invalid price for {desc}',
    submit: 'Place bid',
    why_disconnected: 'No connection to the server: you can bid again as soon as the connection is back.',
    why_busy: 'Your previous bid on this lot is still waiting for its answer.',
    hint_scheduled: 'This lot is not open yet; a bid would be refused now.',
    hint_paused: 'The auction is paused; a bid would be refused now.',
    hint_closed: 'This lot has closed; no more bids are taken.',
    hint_not_admitted: 'You are not admitted to this lot.',
    hint_disqualified: 'You are disqualified; your bids are refused.',
    ans_pending: 'Bid of {amount} sent; waiting for the answer…',
    ans_slow: 'Bid of {amount} sent; no answer yet. Do not close this page.',
    ans_lost: 'The connection dropped before the answer to your bid of {amount} arrived. As soon as the connection is back, the same bid is sent again with the same id, so it can never be placed twice.',
    ans_resending: 'Connection restored: your bid of {amount} is being sent again with the same id ({id})…',
    ans_expired: 'Your bid of {amount} (sent at {time}) got no answer and is not among your bids: it was not placed. It was not sent again automatically because the connection was down for too long. Bid again if you want to.',
    ans_accepted: 'Bid of {amount} accepted.',
    ans_voided_later: 'The auctioneer has since voided this bid (#{bid}); see your rank above.',
    ans_rank: 'Your rank: {rank}.',
    ans_repeated: 'This bid had already been accepted as bid #{bid}; it was not placed twice.',
    ans_deadline: 'Closing time now {time}.',
    ans_not_sent: 'Not sent: there is no connection to the server.',
    ans_rejected: 'Bid refused:',
    ans_logged: '(refusal recorded as #{seq})',
    ans_error: 'Bid not processed:',
    ans_cancelled: 'Bid not placed: you did not confirm the drop.',
    local_empty: 'Enter an amount.',
    local_empty_line: 'Enter a unit price for {desc}.',
    local_invalid: '“{text}” is not a valid amount. Write for example {example}.',
    where_line: ' (line {line}: {desc})',
    rej_not_admitted_to_lot: 'You are not admitted to this lot.',
    rej_disqualified: 'You are disqualified; your bids are refused.',
    rej_auction_not_open: 'The auction has not opened yet.',
    rej_auction_paused: 'The auction is paused. You can bid again as soon as the auctioneer resumes it.',
    rej_auction_ended: 'The auction has ended; no more bids are taken.',
    rej_lot_not_open: 'This lot is not open yet.',
    rej_lot_closed: 'This lot has closed (closing time {deadline}).',
    rej_bid_too_soon: 'You bid too soon after your previous bid on this lot. You can bid again from {next_allowed_at}.',
    rej_client_bid_id_reused: 'The id of this bid had already been used (bid #{original}). Try again; the page then picks a new id.',
    rej_client_bid_id_invalid: 'The id of this bid is invalid. Try again.',
    rej_lines_expected: 'This lot needs a price per line ({lines} lines).',
    rej_total_expected: 'This lot needs one total price.',
    rej_line_count_mismatch: 'The number of prices ({got}) does not match the number of lines ({expected}).',
    rej_not_positive: 'A price must be more than zero{where}; you offered {offered}.',
    rej_too_many_decimals: 'A price may have at most {decimals_max} decimals{where}; you offered {offered}. Nothing is rounded.',
    rej_price_out_of_range: 'The amount is too large to process.',
    rej_above_ceiling: 'Your bid of {offered} is above the ceiling of {ceiling}. Bid {ceiling} or less.',
    rej_below_floor: 'Your bid of {offered} is below the floor of {floor}. Bid {floor} or more.',
    rej_decrement_too_small: 'Your bid of {offered} is not low enough. A new bid must be at least one step below your own bid of {reference}: you can bid at most {required_max}.',
    rej_score_decrement_too_small: 'The score of your bid ({score}) is not low enough: it must be at most {required_max} (the best score {best} minus one step).',
    rej_drop_too_large: 'Your bid of {offered} is too far below your previous bid of {previous}; this looks like a typing error. The lowest bid allowed is {minimum}.',
    rej_tie_at_best: 'The score of your bid ({score}) equals the best score. An equal score is not accepted: bid lower.',
    rej_bid_limit_reached: 'You have reached the most bids allowed on this lot ({bids_max}).',
    rej_already_bid: 'This is a sealed bid: one bid per lot, and you already placed bid #{bid}.',
    rank_sealed: 'known after the close',
    rej_not_offered_price: 'This is a Dutch auction: you accept the price offered now, {price}, by bidding exactly that price; you offered {offered}. The price may just have risen.',
    offered: 'Price offered',
    next_price: 'Next price at',
    st_dutch: 'Dutch auction: each lot offers a price that rises step by step. The first to accept it (by bidding exactly that price) wins the lot, which then closes at once.',
    st_sealed: 'Sealed bid: you place one bid per lot. Nobody sees bids, ranks or the best price until the lot closes; then all bids are opened together.',
    rej_unknown: '{message}',
    err_rate_limited: 'Too many messages in a short time. Your bid was not processed; try again in {seconds} seconds.',
    err_bad_price: 'The amount is not a valid number.',
    err_overloaded: 'The server is too busy right now. Your bid was not processed; try again.',
    err_log_sealed: 'The auction has ended; nothing more is accepted.',
    err_unavailable: 'The auction is unavailable for now. Your bid was not processed; try again later.',
    err_forbidden: 'Only suppliers may bid.',
    err_unknown_lot: 'This lot does not exist.',
    err_not_authenticated: 'You are not signed in.',
    err_too_many_connections: 'Too many windows are open with this token. Close one; the page will try again shortly.',
    err_technical: 'Technical error: the server did not understand the message ({message}).',
    err_unknown: '{message}',
    ev_auction_open: 'The auction has opened.',
    ev_auction_closed: 'The auction has closed.',
    ev_auction_awarded: 'All lots have been awarded.',
    ev_auction_scheduled: 'The auction is scheduled.',
    ev_lot_open: 'Lot {lot} has opened; closing time {time}.',
    ev_lot_closed: 'Lot {lot} has closed.',
    ev_lot_scheduled: 'Lot {lot} opens at {time}.',
    ev_lot_awarded: 'Lot {lot} has been awarded.',
    ev_extended_soft: 'Lot {lot} was extended from {from} to {to}: a bid came in the closing phase (extension {n}).',
    ev_extended_manual: 'Lot {lot} was extended by the auctioneer from {from} to {to}. Reason: {reason}',
    ev_paused: 'The auction is paused. Reason: {reason}',
    ev_resumed: 'The auction has resumed. Reason: {reason}. The closing times are {duration} later.',
    ev_voided_yours: 'Your bid #{bid} on lot {lot} was voided. Reason: {reason}',
    ev_voided_other: 'A bid of another supplier on lot {lot} was voided; the ranks were recomputed.',
    ev_disqualified: 'You have been disqualified. Reason: {reason}',
    ev_dropped: 'You are out of lot {lot}: you did not confirm the price of step {step} in time. That is final.',
    st_japanese: 'Japanese auction: each lot offers a price that falls step by step. Confirm each price (by bidding exactly it) before the next one comes, or you drop out for good. Who stays longest wins.',
    rej_dropped_out: 'You are out of this lot: you did not confirm a price in time, and that is final.',
    rej_already_confirmed: 'You already confirmed the price of {price}; wait for the next price.',
    confirmed_wait: 'You confirmed this price. Confirm the next price as soon as it comes.',
    rank_dropped: 'dropped out',
    st_rounds: 'Sealed rounds: you place one bid per round (a later bid in the same round replaces the earlier one), improving on your bid of the round before. You see your rank and the best score only when the round closes, at the same moment as everyone.',
    round: 'Round',
    round_value: '{n}, closes at {time}',
    st_turns: 'Rounds with turns: everyone starts from the price of its submission. In each round every bidder gets one private turn, in order from the worst score to the best (the leader moves last). In your turn you lower your price by at least one step, or keep it; outside your turn you cannot do anything. After each turn everyone sees every price, without names.',
    turn_round: 'Round',
    turn_round_value: '{round} of {rounds}',
    published: 'All prices (best first)',
    published_score: '{total} (score {score})',
    published_yours: 'your price',
    turn_yours: 'It is your turn until {time}. Bid lower, or keep your price.',
    turn_other_wait: 'Turn {turn} of {turns} is running; you are {yours}.',
    turn_other_done: 'Turn {turn} of {turns} is running; your turn in this round ({yours}) is over.',
    turn_other_none: 'Turn {turn} of {turns} is running; you have no turn in this round.',
    turn_pause: 'The round starts at {time}; you will be {yours}.',
    turn_pause_none: 'The round starts at {time}; you have no turn in this round.',
    ordinal: '{n}th',
    keep: 'Keep my price',
    why_turn_wait: 'It is not your turn: you can bid or keep your price only in your own turn (you are {yours} in this round).',
    why_turn_done: 'It is not your turn: you already had your turn in this round. You get a new turn in the next round.',
    why_turn_last: 'It is not your turn: your last turn is over.',
    why_turn_none: 'It is not your turn: you have no turn in this round.',
    why_turn_pause: 'The round has not started yet: you can bid or keep your price only in your own turn (you are {yours}).',
    why_turn_pause_none: 'The round has not started yet, and you have no turn in this round.',
    timer_turn: 'Time left in this turn',
    timer_pause: 'Time until the round starts',
    cd_turn_yours: 'your turn',
    cd_turn_other: 'turn {turn} of {turns}',
    cd_turn_pause: 'pause between rounds',
    ans_keep_pending: 'Keep my price: sent, waiting for the answer…',
    ans_kept: 'You kept your price of {amount}; your turn is over.',
    ans_keep_lost: 'The connection dropped before the answer to “keep my price” arrived. As soon as the connection is back, you see above whether your turn is still running.',
    ans_keep_rejected: 'Keep my price refused:',
    ans_keep_error: 'Keep my price not processed:',
    rej_not_your_turn: 'It is not your turn on lot {lot}. You can bid or keep your price only in your own turn; nothing changed.',
    rej_no_turns: 'This auction has no turns, so “keep my price” does not exist here. Your bid stands until you place a new one.',
    ev_turn_round: 'Lot {lot}: round {round} starts at {time}; you are {yours}.',
    ev_turn_round_none: 'Lot {lot}: round {round} starts at {time}; you have no turn in this round.',
    ev_turn_started_yours: 'Your turn on lot {lot} has started: bid lower or keep your price before {time}.',
    ev_turn_started: 'Lot {lot}: turn {turn} of round {round} has started.',
    ev_turn_ended_yours_kept: 'Your turn on lot {lot} is over: your price was kept.',
    ev_turn_ended_yours_bid: 'Your turn on lot {lot} is over: you lowered your price.',
    ev_turn_ended_kept: 'Lot {lot}: turn {turn} is over; the price was kept.',
    ev_turn_ended_bid: 'Lot {lot}: turn {turn} is over; the price was lowered.',
    ev_message: 'Message from the auctioneer: {text}',
    ev_terminated: 'The auction was terminated. Reason: {reason}',
    ev_result_won: 'Lot {lot} was awarded: you won (final rank {rank}).',
    ev_result_lost: 'Lot {lot} was awarded to another supplier. Your final rank: {rank}.',
    ev_result_norank: 'Lot {lot} was awarded to another supplier.',
    st_scheduled: 'The auction has not opened yet.',
    st_paused: 'The auction is paused. You can bid again once the auctioneer resumes it.',
    st_closed: 'The auction has closed. The award follows.',
    st_awarded: 'The auction is finished and awarded.',
    st_terminated: 'The auction was terminated; nothing more is accepted.',
    st_disqualified: 'You have been disqualified. Your bids are no longer accepted.',
    st_reason: 'Reason: {reason}',
    lot_won: 'Awarded: you won this lot (final rank {rank}).',
    lot_lost: 'Awarded to another supplier. Your final rank: {rank}.',
    lot_lost_norank: 'Awarded to another supplier.',
    lot_voided: 'Your bid #{bid} was voided by the auctioneer. Reason: {reason}. Your standing was recomputed.',
    ext_soft: 'Extended: the closing time moved from {from} to {to}, because a bid came in the closing phase (extension {n}).',
    ext_manual: 'Extended by the auctioneer: the closing time moved from {from} to {to}. Reason: {reason}',
    dur_s: '{s} s',
    dur_ms: '{m} min {s} s',
    none: '–',
  },
};

const t = translator(DICT);
const has = (key) => key in DICT.en;

// ---------------------------------------------------------------------------------------------
// State

const RESEND_WINDOW_MS = 120000; // resend a bid that may never have arrived only this soon
const EVENTS_MAX = 200;
const ENDED = new Set(['closed', 'awarded', 'terminated']);

let session = null;
let connStatus = 'signed-out'; // the Session's status, or 'signed-out'
let welcome = null;
let snap = null; // the latest supplier snapshot
let snapSeq = -1;
let confirmPct = null;
let storeKey = null; // "auction/supplier", for sessionStorage
let lang = getLang();
let pausedAt = null; // server time the pause began (for a frozen countdown)
let pauseReason = null;
let terminatedReason = null;
let disqualifiedReason = null;
let lastTick = Date.now();
let bidCounter = 0;
let sessionToken = null;
let savedSeq = null;
const RESUME_KEY = 'veiling.bid.resume';
/** Which token a stored resume point belongs to, without storing the token again. */
const tokenTag = (token) => (token ? token.slice(-12) : '');

const lotUi = new Map(); // lot id -> the lot's elements
const known = new Map(); // lot id -> own accepted bids [{bid, at, total, score, lines, voided}]
const answers = new Map(); // lot id -> the last answer shown (data to render in any language)
const extensions = new Map(); // lot id -> the last `extended` notice
const lotNotes = new Map(); // lot id -> {kind: 'result'|'voided', msg}
const busy = new Map(); // lot id -> the bid waiting for its answer
let unanswered = new Map(); // client_bid_id -> bid sent whose answer has not come
let receipts = []; // newest first
let events = []; // newest first


// ---------------------------------------------------------------------------------------------
// Small helpers

function money(str) { return str == null ? t('none') : fmtMoney(String(str), lang); }
function number(str) { return str == null ? t('none') : fmtNumber(String(str), lang); }

/** A server time: the time of day when it is today in Amsterdam, else date and time. */
const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE });
function when(ms) {
  if (typeof ms !== 'number') return t('none');
  const day = (x) => dayFmt.format(new Date(x));
  const now = session ? session.serverNow() : Date.now();
  return day(ms) === day(now) ? fmtClock(ms, lang) : fmtTime(ms, lang);
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? t('dur_s', { s }) : t('dur_ms', { m: Math.floor(s / 60), s: s % 60 });
}

/** "3e" / "3rd": a bidder's place in a round's order. */
function ordinal(n) {
  if (typeof n !== 'number') return t('none');
  if (lang !== 'en') return t('ordinal', { n });
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Turn-based rounds: the lot's `turn` while it is open (null otherwise, or in other formats). */
function turnOf(lot) {
  const turn = lot && lot.phase === 'open' && lot.turn && typeof lot.turn === 'object' ? lot.turn : null;
  return turn && typeof turn.round === 'number' ? turn : null;
}

/** Turn-based rounds: it is this supplier's turn on the lot now (the snapshot says so). */
function myTurnNow(lot) {
  return !!(turnOf(lot) && lot.your_turn_now === true);
}

/** Turn-based rounds: where the turns stand, in words ({text, yours}); null without turns. */
function turnText(lot) {
  const turn = turnOf(lot);
  if (!turn) return null;
  const mine = typeof lot.your_turn === 'number' ? lot.your_turn : null;
  if (typeof turn.turn !== 'number') {
    return { yours: false, text: t(mine ? 'turn_pause' : 'turn_pause_none', { time: when(turn.starts_at), yours: ordinal(mine) }) };
  }
  if (myTurnNow(lot)) return { yours: true, text: t('turn_yours', { time: when(turn.ends_at) }) };
  const vars = { turn: turn.turn, turns: turn.turns, yours: ordinal(mine) };
  if (mine === null) return { yours: false, text: t('turn_other_none', vars) };
  return { yours: false, text: t(mine > turn.turn ? 'turn_other_wait' : 'turn_other_done', vars) };
}

/** Turn-based rounds: why bidding and keeping are disabled now ('' when it is your turn). */
function turnWhy(lot) {
  const turn = turnOf(lot);
  if (!turn || myTurnNow(lot)) return '';
  const mine = typeof lot.your_turn === 'number' ? lot.your_turn : null;
  if (typeof turn.turn !== 'number') {
    return mine ? t('why_turn_pause', { yours: ordinal(mine) }) : t('why_turn_pause_none');
  }
  if (mine === null) return t('why_turn_none');
  if (mine > turn.turn) return t('why_turn_wait', { yours: ordinal(mine) });
  return t(turn.round < turn.rounds ? 'why_turn_done' : 'why_turn_last');
}

function lotName(id) {
  const lot = snap?.lots.find((l) => l.lot === id);
  return lot ? lot.name : id;
}

function lotOf(id) {
  return snap?.lots.find((l) => l.lot === id) ?? null;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function L(key) {
  return el('span', { 'data-i18n': key }, t(key));
}

function newBidId() {
  const r = new Uint8Array(4);
  crypto.getRandomValues(r);
  const rand = Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
  bidCounter += 1;
  return `web-${Date.now().toString(36)}-${bidCounter.toString(36)}-${rand}`;
}

function store(name, value) {
  if (!storeKey) return;
  try { sessionStorage.setItem(`veiling.bid.${name}.${storeKey}`, JSON.stringify(value)); } catch (_) { /* full or blocked */ }
}

function load(name, fallback) {
  try {
    const v = sessionStorage.getItem(`veiling.bid.${name}.${storeKey}`);
    return v ? JSON.parse(v) : fallback;
  } catch (_) { return fallback; }
}

function saveUnanswered() { store('unanswered', [...unanswered.values()]); }

/** Exact sum of unit price × quantity; null when a price is not a decimal. */
function lineTotal(prices, lines) {
  let sum = { n: 0n, s: 0 };
  for (let i = 0; i < lines.length; i++) {
    const p = dec(prices[i]);
    const q = dec(lines[i].quantity);
    if (!p || !q) return null;
    sum = decAdd(sum, decMul(p, q));
  }
  return decString(sum);
}

function sameOffer(bid, entry) {
  if (entry.price !== undefined) return decCmp(bid.total, entry.price) === 0 && !(bid.lines?.length);
  if (!Array.isArray(bid.lines) || bid.lines.length !== entry.lines.length) return false;
  return bid.lines.every((p, i) => decCmp(p, entry.lines[i]) === 0);
}

// ---------------------------------------------------------------------------------------------
// Static texts and language

function applyI18n(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) setText(node, t(node.dataset.i18n));
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  const title = welcome ? t('doc_title', { title: welcome.title }) : `${t('page_title')} — veiling`;
  document.title = isPractice() ? `${t('practice_prefix')}${title}` : title;
  renderPractice();
}

/** A practice auction (oefenveiling): never binding, never awarded, the buyers do not see it. */
function isPractice() {
  return welcome?.mode === 'practice';
}

/** The practice banner at the top of the page, in the page's language. */
function renderPractice() {
  const box = $('practice-banner');
  const on = isPractice();
  document.body.dataset.mode = welcome?.mode ?? '';
  box.hidden = !on;
  const sig = on ? lang : '';
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.replaceChildren(...(on ? [el('strong', {}, t('practice_word')), t('practice_banner'), t('practice_bots')] : []));
}

function onLangChange() {
  const old = lang;
  lang = getLang();
  // Amounts typed in one language's style are rewritten in the other's.
  for (const ui of lotUi.values()) {
    for (const input of ui.allInputs) {
      const v = parseAmount(input.value, old);
      if (v !== null) input.value = toInputText(v, lang);
    }
  }
  applyI18n();
  renderAll();
}

// ---------------------------------------------------------------------------------------------
// Building a lot's card

function buildLot(lot) {
  const id = lot.lot;
  const ui = { id, hasLines: Array.isArray(lot.lines) && lot.lines.length > 0, lineInputs: [] };
  const hId = `lot-h-${id}`;
  const formH = `lot-f-${id}`;
  const whyId = `why-${id}`;
  const maxId = `max-${id}`;

  ui.phase = el('span', { class: 'badge', 'data-testid': 'phase' });
  ui.name = el('span', {}, lot.name);
  const head = el('div', { class: 'lot-head' },
    el('h2', { id: hId }, ui.name, ' ', el('span', { class: 'lot-id' }, `(${id})`)),
    el('p', {}, L('phase_label'), ' ', ui.phase));

  ui.cdTime = el('span', { class: 'time' });
  ui.cdText = el('span', { class: 'state-text' });
  ui.deadline = el('div', { class: 'countdown', role: 'timer', 'data-testid': 'deadline', 'data-state': 'scheduled' },
    ui.cdTime, ui.cdText);
  ui.deadlineAt = el('span', { 'data-testid': 'deadline-at' });
  ui.timerLabel = el('p', { class: 'timer-label' }, t('time_left'));
  const timer = el('div', { class: 'timer' },
    ui.timerLabel,
    ui.deadline,
    el('p', {}, L('closing_time'), ' ', ui.deadlineAt));

  ui.ownBid = el('dd', { 'data-testid': 'own-bid' });
  ui.ownLines = el('ul', { class: 'own-lines', 'data-testid': 'own-lines' });
  ui.ownLinesDt = el('dt', {}, L('own_lines'));
  ui.ownLinesDd = el('dd', {}, ui.ownLines);
  ui.ownScore = el('span', { 'data-testid': 'own-score' });
  ui.scoreHint = el('span', { class: 'hint' });
  ui.rank = el('dd', { 'data-testid': 'rank' });
  ui.best = el('dd', { 'data-testid': 'best' });
  ui.bestDt = el('dt', {}, L('best'));
  ui.count = el('dd', { 'data-testid': 'bidder-count' });
  ui.countDt = el('dt', {}, L('bidder_count'));
  // A Dutch auction: the price offered now, and when the next (higher) one comes.
  ui.offered = el('dd', { 'data-testid': 'offered-price', class: 'offered' });
  ui.nextPrice = el('dd', { 'data-testid': 'next-price-at' });
  // Sealed rounds: the round running and when it closes.
  ui.round = el('dd', { 'data-testid': 'round' });
  // Turn-based rounds: the round ("2 van 3"), and every published price, best first.
  ui.turnRound = el('dd', { 'data-testid': 'turn-round' });
  ui.published = el('ol', { class: 'published', 'data-testid': 'published' });
  // The rows in order; those without a value (best score, bidder count when the auction does
  // not show them) are left out of the page altogether.
  ui.factRows = [
    ['offered', el('dt', {}, L('offered')), ui.offered],
    ['next', el('dt', {}, L('next_price')), ui.nextPrice],
    ['round', el('dt', {}, L('round')), ui.round],
    ['turn_round', el('dt', {}, L('turn_round')), ui.turnRound],
    ['own', el('dt', {}, L('own_bid')), ui.ownBid],
    ['lines', ui.ownLinesDt, ui.ownLinesDd],
    ['score', el('dt', {}, L('own_score')), el('dd', {}, ui.ownScore, ' ', ui.scoreHint)],
    ['rank', el('dt', {}, L('rank')), ui.rank],
    ['best', ui.bestDt, ui.best],
    ['count', ui.countDt, ui.count],
    ['published', el('dt', {}, L('published')), el('dd', {}, ui.published)],
  ];
  ui.facts = el('dl', { class: 'facts' });
  const facts = ui.facts;

  ui.ext = el('div', { class: 'extension-notice', 'data-testid': 'extension-notice', 'aria-live': 'polite' });
  ui.note = el('div', { class: 'lot-notice', 'data-testid': 'lot-notice', 'aria-live': 'polite' });
  // Turn-based rounds: whose turn it is, in neutral words (announced through the messages).
  ui.turn = el('p', { class: 'turn-status', 'data-testid': 'turn-status', hidden: true });

  ui.max = el('p', { class: 'admissible', id: maxId, 'data-testid': 'max-admissible' });
  ui.min = el('p', { class: 'admissible-min', 'data-testid': 'min-admissible' });

  // The bid form.
  ui.submit = el('button', { type: 'submit', 'data-testid': 'bid-submit', 'aria-describedby': whyId }, L('submit'));
  ui.why = el('p', { class: 'submit-why', id: whyId });
  // Turn-based rounds: keep the standing price, which ends the turn.
  ui.keep = el('button', {
    type: 'button', class: 'secondary keep', 'data-testid': 'keep', 'aria-describedby': whyId, hidden: true,
  }, L('keep'));
  ui.keep.addEventListener('click', () => sendKeep(ui));
  let fields;
  if (ui.hasLines) {
    const rows = lot.lines.map((line) => {
      const inputId = `in-${id}-${line.id}`;
      const input = el('input', {
        type: 'text', id: inputId, inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
        'data-testid': `line-input-${line.id}`, 'aria-describedby': maxId,
      });
      const label = el('label', { for: inputId, class: 'visually-hidden' });
      const out = el('span', { class: 'line-total' });
      ui.lineInputs.push({ line, input, label, out });
      input.addEventListener('input', () => renderLiveTotal(ui));
      return el('tr', {},
        el('td', {}, line.description),
        el('td', {}, line.unit),
        el('td', { class: 'num', 'data-quantity': line.quantity }),
        el('td', {}, label, input),
        el('td', { class: 'num' }, out));
    });
    ui.qtyCells = rows.map((r) => r.children[2]);
    ui.total = el('output', { class: 'bid-total', 'data-testid': 'bid-total' });
    // Scrolls sideways on a phone: focusable and named, so a keyboard can scroll it too.
    ui.linesWrap = el('div', { class: 'table-wrap', tabindex: '0', role: 'region' });
    ui.linesWrap.append(
        el('table', {},
          el('caption', { class: 'visually-hidden' }, L('lines_caption')),
          el('thead', {}, el('tr', {},
            el('th', { scope: 'col' }, L('col_desc')),
            el('th', { scope: 'col' }, L('col_unit')),
            el('th', { scope: 'col', class: 'num' }, L('col_qty')),
            el('th', { scope: 'col' }, L('col_unit_price')),
            el('th', { scope: 'col', class: 'num' }, L('col_line_total')))),
          el('tbody', {}, rows)));
    fields = [
      ui.linesWrap,
      el('p', {}, L('total_label'), ' ', ui.total),
      el('div', { class: 'row' }, ui.submit, ui.keep),
    ];
    ui.allInputs = ui.lineInputs.map((x) => x.input);
  } else {
    const inputId = `in-${id}`;
    const hintId = `hint-${id}`;
    ui.input = el('input', {
      type: 'text', id: inputId, inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
      'data-testid': 'bid-input', 'aria-describedby': `${maxId} ${hintId}`,
    });
    ui.hint = el('p', { class: 'muted', id: hintId });
    fields = [
      el('label', { for: inputId }, L('bid_input_label')),
      el('div', { class: 'row' }, ui.input, ui.submit, ui.keep),
      ui.hint,
    ];
    ui.allInputs = [ui.input];
  }
  ui.form = el('form', { class: 'bid-form', novalidate: true },
    el('h3', { id: formH }, L('new_bid')), ui.max, ui.min, ...fields, ui.why);
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submitBid(ui);
  });

  ui.answer = el('div', { class: 'answer', 'data-testid': 'answer', 'aria-live': 'polite' });
  ui.receipt = el('p', { class: 'receipt', 'data-testid': 'receipt' });

  ui.root = el('section', { class: 'card lot', 'data-testid': `lot-${id}`, 'data-phase': lot.phase, 'aria-labelledby': hId },
    head, el('div', { class: 'lot-grid' }, timer, facts), ui.turn, ui.ext, ui.note, ui.form, ui.answer, ui.receipt);
  return ui;
}

function buildLots() {
  const list = $('lot-list');
  const ids = snap.lots.map((l) => l.lot).join('\n');
  if (list.dataset.ids === ids) return;
  list.replaceChildren();
  lotUi.clear();
  for (const lot of snap.lots) {
    const ui = buildLot(lot);
    lotUi.set(lot.lot, ui);
    list.append(ui.root);
  }
  list.dataset.ids = ids;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderAll() {
  renderConn();
  renderPractice();
  if (!snap) return;
  renderBanner();
  for (const lot of snap.lots) {
    const ui = lotUi.get(lot.lot);
    if (ui) renderLot(ui, lot);
  }
  renderEvents();
  renderReceipts();
  if (welcome) setText($('whoami'), t('whoami', { id: welcome.id, title: welcome.title }));
}

function renderConn() {
  const badge = $('conn-status');
  const status = connStatus;
  badge.dataset.status = status;
  badge.className = `badge ${{ open: 'ok', connecting: 'warn', reconnecting: 'warn', failed: 'bad' }[status] ?? 'neutral'}`;
  setText(badge, t(`conn_${status}`));
  badge.setAttribute('aria-label', t('conn_label', { status: t(`conn_${status}`) }));
}

function renderBanner() {
  const box = $('auction-status');
  const parts = [];
  const add = (cls, key, reason) => {
    parts.push(el('p', { class: `notice ${cls}` }, t(key), reason ? ` ${t('st_reason', { reason })}` : ''));
  };
  if (snap.disqualified) add('bad', 'st_disqualified', disqualifiedReason);
  if (welcome?.format === 'sealed_bid') add('warn', 'st_sealed');
  if (welcome?.format === 'dutch') add('warn', 'st_dutch');
  if (welcome?.format === 'japanese') add('warn', 'st_japanese');
  if (welcome?.format === 'sealed_rounds') add('warn', 'st_rounds');
  if (welcome?.format === 'turns') add('warn', 'st_turns');
  switch (snap.phase) {
    case 'scheduled': add('warn', 'st_scheduled'); break;
    case 'paused': add('warn', 'st_paused', pauseReason); break;
    case 'closed': add('warn', isPractice() ? 'st_closed_practice' : 'st_closed'); break;
    case 'awarded': add('ok', 'st_awarded'); break;
    case 'terminated': add('bad', 'st_terminated', terminatedReason); break;
    default: break;
  }
  const sig = parts.map((p) => p.className + p.textContent).join('|');
  if (box.dataset.sig !== sig) {
    box.replaceChildren(...parts);
    box.dataset.sig = sig;
  }
}

function standingLines(lot) {
  if (!lot.standing) return null;
  const bids = (known.get(lot.lot) ?? []).filter((b) => !b.voided);
  for (let i = bids.length - 1; i >= 0; i--) {
    if (decCmp(bids[i].total, lot.standing.total) === 0) {
      return Array.isArray(bids[i].lines) && bids[i].lines.length ? bids[i].lines : null;
    }
  }
  return null;
}

function renderLot(ui, lot) {
  ui.root.dataset.phase = lot.phase;
  setText(ui.name, lot.name);
  const phaseKey = lot.phase === 'open' && lot.paused ? 'phase_paused' : `phase_${lot.phase}`;
  setText(ui.phase, t(phaseKey));
  ui.phase.className = `badge ${lot.phase === 'open' ? (lot.paused ? 'warn' : 'ok') : lot.phase === 'terminated' ? 'bad' : 'neutral'}`;

  // Own standing.
  setText(ui.ownBid, lot.standing ? money(lot.standing.total) : t('none'));
  setText(ui.ownScore, lot.standing ? number(lot.standing.score) : t('none'));
  const differs = lot.standing && decCmp(lot.standing.score, lot.standing.total) !== 0;
  setText(ui.scoreHint, differs ? t('score_hint') : '');
  // A sealed bid: the rank is opened at the close, with everyone's.
  const sealed = welcome?.format === 'sealed_bid' && ['scheduled', 'open'].includes(lot.phase);
  setText(ui.rank, lot.dropped ? t('rank_dropped')
    : lot.rank != null ? String(lot.rank) : sealed && lot.standing ? t('rank_sealed') : t('none'));
  const lines = ui.hasLines ? standingLines(lot) : null;
  const linesSig = lines ? `${lang}:${lines.join(',')}` : '';
  if (ui.ownLines.dataset.sig !== linesSig) {
    ui.ownLines.dataset.sig = linesSig;
    ui.ownLines.replaceChildren(...(lines ?? []).map((p, i) => el('li', {}, t('own_line', {
      desc: lot.lines[i].description, price: money(p), unit: lot.lines[i].unit,
      qty: number(lot.lines[i].quantity),
    }))));
  }
  const showBest = typeof lot.best_score === 'string';
  setText(ui.best, showBest ? number(lot.best_score) : '');
  const showCount = typeof lot.bidder_count === 'number';
  setText(ui.count, showCount ? String(lot.bidder_count) : '');
  const offered = typeof lot.offered_price === 'string' ? lot.offered_price : null;
  setText(ui.offered, offered ? money(offered) : '');
  const showNext = typeof lot.next_price_at === 'number';
  setText(ui.nextPrice, showNext ? when(lot.next_price_at) : '');
  // Accepting is bidding the offered price: put it in the field, unless the bidder typed
  // something else meanwhile.
  if (offered && ui.input) {
    const text = toInputText(offered, lang);
    if (ui.input.value === '' || ui.input.value === ui.lastOffered) ui.input.value = text;
    ui.lastOffered = text;
  }
  const showRound = typeof lot.round === 'number';
  setText(ui.round, showRound
    ? t('round_value', { n: lot.round, time: when(lot.round_ends_at) }) : '');
  const turn = turnOf(lot);
  setText(ui.turnRound, turn ? t('turn_round_value', { round: turn.round, rounds: turn.rounds }) : '');
  const showPublished = renderPublished(ui, lot);
  const shown = {
    lines: !!lines, best: showBest, count: showCount, offered: !!offered, next: showNext,
    round: showRound, turn_round: !!turn, published: showPublished,
  };
  const rows = ui.factRows.filter(([k]) => shown[k] ?? true);
  const factsSig = rows.map(([k]) => k).join();
  if (ui.facts.dataset.sig !== factsSig) {
    ui.facts.dataset.sig = factsSig;
    ui.facts.replaceChildren(...rows.flatMap(([, dt, dd]) => [dt, dd]));
  }

  // What may be bid.
  const confirmedNow = offered && lot.standing && decCmp(lot.standing.total, offered) === 0;
  setText(ui.max, lot.max_admissible
    ? t(ui.hasLines ? 'max_adm_lines' : 'max_adm', { amount: money(lot.max_admissible) })
    : confirmedNow && lot.phase === 'open' ? t('confirmed_wait') : t('no_bid_now'));
  setText(ui.min, lot.min_admissible ? t('min_adm', { amount: money(lot.min_admissible) }) : '');
  ui.min.hidden = !lot.min_admissible;
  if (ui.hint) setText(ui.hint, t('bid_input_hint', { example: t('example') }));
  if (ui.hasLines) {
    ui.linesWrap.setAttribute('aria-label', t('lines_region', { lot: lot.name }));
    ui.lineInputs.forEach((x, i) => {
      setText(x.label, t('line_input_label', { unit: x.line.unit, desc: x.line.description }));
      setText(ui.qtyCells[i], number(x.line.quantity));
    });
    // Start from the standing unit prices, so that a new bid changes only what it needs.
    if (lines && ui.lineInputs.every((x) => x.input.value === '')) {
      ui.lineInputs.forEach((x, i) => { x.input.value = toInputText(lines[i], lang); });
    }
    renderLiveTotal(ui);
  }

  // The submit button: disabled only when a bid cannot reach the server or one is waiting.
  const connected = session && session.status === 'open';
  let why = '';
  let block = false;
  const notMyTurn = turnWhy(lot); // turn-based rounds: bidding waits for one's own turn
  if (!connected) { why = t('why_disconnected'); block = true; }
  else if (busy.has(lot.lot)) { why = t('why_busy'); block = true; }
  else if (snap.disqualified) why = t('hint_disqualified');
  else if (!lot.admitted) why = t('hint_not_admitted');
  else if (ENDED.has(lot.phase) || snap.phase === 'terminated') why = t('hint_closed');
  else if (lot.phase === 'scheduled' || snap.phase === 'scheduled') why = t('hint_scheduled');
  else if (lot.paused || snap.phase === 'paused') why = t('hint_paused');
  else if (notMyTurn) { why = notMyTurn; block = true; }
  ui.submit.disabled = block;
  // Turn-based rounds: "keep my price", only in one's own turn.
  ui.keep.hidden = welcome?.format !== 'turns';
  ui.keep.disabled = block || !myTurnNow(lot) || !!lot.paused || snap.phase === 'paused';
  const tt = lot.admitted === false ? null : turnText(lot);
  ui.turn.hidden = !tt;
  setText(ui.turn, tt ? tt.text : '');
  ui.turn.className = `turn-status notice ${tt?.yours ? 'ok' : 'neutral'}`;
  ui.turn.dataset.yours = tt?.yours ? 'true' : 'false';
  ui.root.dataset.yourTurn = myTurnNow(lot) ? 'true' : 'false';
  setText(ui.why, why);
  ui.why.className = `submit-why${block && !connected ? ' bad' : ''}`;

  renderExtension(ui);
  renderNote(ui);
  renderAnswer(ui);
  renderReceipt(ui);
  renderCountdown(ui, lot);
}

/** Turn-based rounds: every published price, best first, one's own marked; false if none. */
function renderPublished(ui, lot) {
  const list = lot.phase === 'open' && Array.isArray(lot.published) ? lot.published : [];
  let own = -1;
  if (lot.standing) {
    own = list.findIndex((p) => decCmp(p.total, lot.standing.total) === 0
      && decCmp(p.score, lot.standing.score) === 0);
  }
  const sig = `${lang}:${own}:${list.map((p) => `${p.total}/${p.score}`).join(',')}`;
  if (ui.published.dataset.sig !== sig) {
    ui.published.dataset.sig = sig;
    ui.published.replaceChildren(...list.map((p, i) => {
      const text = decCmp(p.total, p.score) === 0 ? money(p.total)
        : t('published_score', { total: money(p.total), score: number(p.score) });
      return el('li', { 'data-own': i === own ? 'true' : null, class: i === own ? 'own' : null },
        text, i === own ? el('strong', {}, ` — ${t('published_yours')}`) : '');
    }));
  }
  return list.length > 0;
}

function renderLiveTotal(ui) {
  const prices = [];
  let missing = false;
  let invalid = null;
  ui.lineInputs.forEach((x) => {
    const text = x.input.value.trim();
    if (text === '') { missing = true; prices.push(null); setText(x.out, t('none')); return; }
    const v = parseAmount(text, lang);
    if (v === null) { invalid = invalid ?? x.line; prices.push(null); setText(x.out, t('none')); return; }
    prices.push(v);
    setText(x.out, money(decString(decMul(dec(v), dec(x.line.quantity)))));
  });
  ui.lineInputs.forEach((x, i) => {
    if (prices[i] === null && x.input.value.trim() !== '') x.input.setAttribute('aria-invalid', 'true');
    else x.input.removeAttribute('aria-invalid');
  });
  if (invalid) { setText(ui.total, t('total_invalid', { desc: invalid.description })); return; }
  const filled = ui.lineInputs.map((x, i) => (prices[i] === null ? '0' : prices[i]));
  const sum = lineTotal(filled, ui.lineInputs.map((x) => x.line));
  if (prices.every((p) => p === null)) setText(ui.total, t('none'));
  else if (missing) setText(ui.total, t('total_incomplete', { amount: money(sum) }));
  else setText(ui.total, money(sum));
}

function renderCountdown(ui, lot) {
  const now = session ? session.serverNow() : Date.now();
  const connected = session && session.status === 'open';
  // Turn-based rounds: count to the end of the running turn, or of the pause before a round.
  const turn = turnOf(lot);
  const turnEnd = turn ? (typeof turn.turn === 'number' ? turn.ends_at : turn.starts_at) : null;
  const target = typeof turnEnd === 'number' ? turnEnd : lot.deadline;
  setText(ui.timerLabel, t(!turn ? 'time_left' : typeof turn.turn === 'number' ? 'timer_turn' : 'timer_pause'));
  ui.deadline.dataset.target = turn ? (typeof turn.turn === 'number' ? 'turn' : 'pause') : 'deadline';
  let state;
  let time = '';
  let text = '';
  if (ENDED.has(lot.phase)) {
    state = 'closed';
    text = t(`cd_${lot.phase}`);
  } else if (lot.phase === 'scheduled' || typeof lot.deadline !== 'number') {
    state = 'scheduled';
    if (typeof lot.opens_at === 'number') {
      time = fmtCountdown(lot.opens_at - now);
      text = t('cd_opens', { time: when(lot.opens_at) });
    } else text = t('cd_scheduled');
  } else if (!connected) {
    state = 'disconnected';
    time = fmtCountdown(target - now);
    text = t('cd_disconnected');
  } else if (lot.paused || snap.phase === 'paused') {
    state = 'paused';
    time = fmtCountdown(target - (pausedAt ?? now));
    text = t('cd_paused');
  } else {
    state = 'running';
    time = fmtCountdown(target - now);
    if (turn) {
      text = typeof turn.turn !== 'number' ? t('cd_turn_pause')
        : myTurnNow(lot) ? t('cd_turn_yours') : t('cd_turn_other', { turn: turn.turn, turns: turn.turns });
    } else if (lot.deadline - now <= 0) text = t('cd_closing');
  }
  if (ui.deadline.dataset.state !== state) {
    ui.deadline.dataset.state = state;
    ui.deadline.classList.toggle('disconnected', state === 'disconnected');
  }
  setText(ui.cdTime, time);
  setText(ui.cdText, text);
  // The closing time only: before the opening the countdown line says when the lot opens.
  setText(ui.deadlineAt, typeof lot.deadline === 'number' ? when(lot.deadline) : t('none'));
}

function renderExtension(ui) {
  const ext = extensions.get(ui.id);
  if (!ext) { if (ui.ext.firstChild) ui.ext.replaceChildren(); return; }
  const text = ext.cause === 'auctioneer'
    ? t('ext_manual', { from: when(ext.from), to: when(ext.to), reason: ext.reason ?? '' })
    : t('ext_soft', { from: when(ext.from), to: when(ext.to), n: ext.extensions_used });
  const p = ui.ext.firstChild;
  if (p && p.textContent === text) return;
  ui.ext.replaceChildren(el('p', { class: 'notice warn' }, text));
}

function renderNote(ui) {
  const note = lotNotes.get(ui.id);
  let node = null;
  if (note?.kind === 'result') {
    const m = note.msg;
    const text = m.won ? t('lot_won', { rank: m.rank ?? 1 })
      : m.rank != null ? t('lot_lost', { rank: m.rank }) : t('lot_lost_norank');
    node = el('p', { class: `notice ${m.won ? 'ok' : 'warn'}` }, text);
  } else if (note?.kind === 'voided') {
    node = el('p', { class: 'notice bad' }, t('lot_voided', { bid: note.msg.bid ?? '?', reason: note.msg.reason ?? '' }));
  }
  const text = node ? node.textContent : '';
  if (ui.note.textContent === text) return;
  ui.note.replaceChildren(...(node ? [node] : []));
}

function offerAmount(entry) {
  return money(entry.total ?? entry.price);
}

/** The words of an answer: {kind, cls, text}. */
function answerView(a) {
  const m = a.msg;
  switch (a.kind) {
    case 'pending':
      return { kind: 'pending', cls: 'warn', text: t(a.slow ? 'ans_slow' : 'ans_pending', { amount: offerAmount(a.entry) }) };
    case 'lost':
      return { kind: 'pending', cls: 'warn', text: t('ans_lost', { amount: offerAmount(a.entry) }) };
    case 'resending':
      return { kind: 'pending', cls: 'warn', text: t('ans_resending', { amount: offerAmount(a.entry), id: a.entry.client_bid_id }) };
    case 'expired':
      return { kind: 'error', cls: 'bad', text: t('ans_expired', { amount: offerAmount(a.entry), time: when(a.entry.sentAt) }) };
    case 'not_sent':
      return { kind: 'error', cls: 'bad', text: t('ans_not_sent') };
    case 'cancelled':
      return { kind: 'cancelled', cls: 'warn', text: t('ans_cancelled') };
    case 'local':
      return { kind: 'error', cls: 'bad', text: t(a.key, { ...a.vars, example: t('example') }) };
    case 'accepted': {
      const parts = [t('ans_accepted', { amount: money(m.total) })];
      // Voided since: the rank it had then would mislead; the lot's facts show the rank now.
      if (a.voided) {
        return { kind: 'accepted', cls: 'warn', text: `${parts[0]} ${t('ans_voided_later', { bid: m.bid })}` };
      }
      if (m.rank != null) parts.push(t('ans_rank', { rank: m.rank }));
      if (m.repeated) parts.push(t('ans_repeated', { bid: m.bid }));
      if (typeof m.deadline === 'number') parts.push(t('ans_deadline', { time: when(m.deadline) }));
      return { kind: 'accepted', cls: 'ok', text: parts.join(' ') };
    }
    case 'rejected':
      return { kind: 'rejected', cls: 'bad', text: `${t(a.entry?.keep ? 'ans_keep_rejected' : 'ans_rejected')} ${rejectionText(m, a.entry)} ${t('ans_logged', { seq: m.seq })}` };
    case 'error':
      return { kind: 'error', cls: 'bad', text: `${t(a.entry?.keep ? 'ans_keep_error' : 'ans_error')} ${errorText(m)}` };
    case 'keep_pending':
      return { kind: 'pending', cls: 'warn', text: t('ans_keep_pending') };
    case 'keep_lost':
      return { kind: 'pending', cls: 'warn', text: t('ans_keep_lost') };
    case 'kept':
      return { kind: 'kept', cls: 'ok', text: t('ans_kept', { amount: money(a.entry.total) }) };
    default:
      return null;
  }
}

function renderAnswer(ui) {
  const a = answers.get(ui.id);
  const view = a ? answerView(a) : null;
  if (!view) {
    if (ui.answer.firstChild) ui.answer.replaceChildren();
    ui.answer.removeAttribute('data-kind');
    return;
  }
  ui.answer.dataset.kind = view.kind;
  const p = ui.answer.firstChild;
  if (p && p.textContent === view.text && p.className === `notice ${view.cls}`) return;
  ui.answer.replaceChildren(el('p', { class: `notice ${view.cls}` }, view.text));
}

function renderReceipt(ui) {
  const r = receipts.find((x) => x.lot === ui.id);
  if (!r) {
    if (ui.receipt.firstChild) ui.receipt.replaceChildren();
    ui.receipt.removeAttribute('data-seq');
    return;
  }
  if (ui.receipt.dataset.seq === String(r.seq) && ui.receipt.dataset.lang === lang) return;
  ui.receipt.dataset.seq = String(r.seq);
  ui.receipt.dataset.lang = lang;
  ui.receipt.replaceChildren(t('receipt_line', { seq: r.seq }), ' ', el('span', { class: 'hash' }, r.hash),
    r.repeated ? ` (${t('receipt_repeated', { bid: r.bid })})` : '');
}

function renderReceipts() {
  const body = $('receipts-body');
  const voided = new Set([...known.values()].flat().filter((b) => b.voided).map((b) => b.bid));
  const sig = `${lang}:${receipts.length}:${receipts[0]?.seq ?? ''}:${[...voided].join()}`;
  if (body.dataset.sig === sig) return;
  body.dataset.sig = sig;
  body.replaceChildren(...receipts.map((r) => el('tr', { 'data-seq': r.seq },
    el('td', {}, when(r.received_at)),
    el('td', {}, `${lotName(r.lot)} (${r.lot})`),
    el('td', { class: 'num' }, money(r.total)),
    el('td', {}, `#${r.seq}`, r.repeated ? ` (${t('receipt_repeated', { bid: r.bid })})` : '',
      voided.has(r.bid) ? ` (${t('receipt_voided')})` : ''),
    el('td', { class: 'hash' }, r.hash))));
  $('receipts-empty').hidden = receipts.length > 0;
  $('receipts-wrap').hidden = receipts.length === 0;
  $('receipts-download').disabled = receipts.length === 0;
}

function eventText(e) {
  const m = e.msg;
  const lot = m.lot ? lotName(m.lot) : '';
  switch (m.type) {
    case 'phase':
      if (!m.lot) return t(`ev_auction_${m.phase}`);
      return t(`ev_lot_${m.phase}`, { lot, time: when(m.deadline ?? m.opens_at) });
    case 'extended':
      return m.cause === 'auctioneer'
        ? t('ev_extended_manual', { lot, from: when(m.from), to: when(m.to), reason: m.reason ?? '' })
        : t('ev_extended_soft', { lot, from: when(m.from), to: when(m.to), n: m.extensions_used });
    case 'paused': return t('ev_paused', { reason: m.reason });
    case 'resumed': return t('ev_resumed', { reason: m.reason, duration: duration(m.paused_ms) });
    case 'bid_voided':
      return m.yours ? t('ev_voided_yours', { lot, bid: m.bid ?? '?', reason: m.reason ?? '' }) : t('ev_voided_other', { lot });
    case 'disqualified': return t('ev_disqualified', { reason: m.reason });
    case 'dropped': return t('ev_dropped', { lot, step: m.step });
    case 'turn': {
      const v = { lot, round: m.round, turn: m.turn, yours: ordinal(m.your_turn) };
      if (m.phase === 'round_opened') {
        return t(typeof m.your_turn === 'number' ? 'ev_turn_round' : 'ev_turn_round_none', { ...v, time: when(m.starts_at) });
      }
      if (m.phase === 'started') return t(m.yours ? 'ev_turn_started_yours' : 'ev_turn_started', { ...v, time: when(m.ends_at) });
      if (m.phase === 'ended') {
        return t(`ev_turn_ended_${m.yours ? 'yours_' : ''}${m.kept ? 'kept' : 'bid'}`, v);
      }
      return '';
    }
    case 'message': return t('ev_message', { text: m.text });
    case 'terminated': return t('ev_terminated', { reason: m.reason });
    case 'result':
      if (m.won) return t('ev_result_won', { lot, rank: m.rank ?? 1 });
      return m.rank != null ? t('ev_result_lost', { lot, rank: m.rank }) : t('ev_result_norank', { lot });
    default: return '';
  }
}

function renderEvents() {
  const list = $('messages');
  const sig = `${lang}:${events.length}:${events[0]?.key ?? ''}`;
  if (list.dataset.sig === sig) return;
  list.dataset.sig = sig;
  // Keep existing items (a live region announces only what is new): add what is missing.
  const have = new Set([...list.children].map((li) => li.dataset.key));
  const relabel = list.dataset.lang !== lang;
  list.dataset.lang = lang;
  if (relabel) { list.replaceChildren(); have.clear(); }
  const fresh = [];
  for (const e of events) {
    if (have.has(e.key)) break;
    const bad = ['terminated', 'disqualified', 'dropped'].includes(e.msg.type) || (e.msg.type === 'bid_voided' && e.msg.yours);
    const yourTurn = e.msg.type === 'turn' && e.msg.phase === 'started' && e.msg.yours === true;
    fresh.push(el('li', {
      'data-key': e.key,
      'data-type': e.msg.type,
      'data-yours': yourTurn ? 'true' : null,
      class: e.msg.type === 'message' ? 'from-auctioneer' : bad ? 'bad' : yourTurn ? 'your-turn' : null,
    }, el('span', { class: 'when' }, when(e.msg.at)), eventText(e)));
  }
  list.prepend(...fresh);
  while (list.children.length > EVENTS_MAX) list.lastChild.remove();
  $('messages-empty').hidden = events.length > 0;
  // Scrollable once it holds something: reachable by keyboard.
  if (events.length > 0) list.setAttribute('tabindex', '0');
  else list.removeAttribute('tabindex');
}

// ---------------------------------------------------------------------------------------------
// Rejections and errors in words

const MONEY_FIELDS = new Set(['offered', 'price', 'ceiling', 'floor', 'required_max', 'reference', 'minimum', 'previous']);
const SCORE_FIELDS = new Set(['score', 'best']);
const TIME_FIELDS = new Set(['deadline', 'last_at', 'next_allowed_at', 'at', 'clock']);

function rejectionText(m, entry) {
  const d = m.details ?? {};
  const key = `rej_${m.reason}`;
  if (!has(key)) return m.message;
  const vars = {};
  for (const [k, v] of Object.entries(d)) {
    if (m.reason === 'score_decrement_too_small' && k === 'required_max') vars[k] = number(v);
    else if (MONEY_FIELDS.has(k)) vars[k] = money(v);
    else if (SCORE_FIELDS.has(k)) vars[k] = number(v);
    else if (TIME_FIELDS.has(k)) vars[k] = when(v);
    else if (k === 'lot') vars[k] = lotName(v);
    else vars[k] = v == null ? '' : String(v);
  }
  vars.where = '';
  if (typeof d.line === 'number') {
    const lines = lotOf(entry?.lot)?.lines ?? [];
    const line = lines[d.line - 1];
    vars.where = t('where_line', { line: d.line, desc: line ? line.description : '' });
  }
  const text = t(key, vars);
  // A placeholder left open means the server sent other fields than expected: use its words.
  return /\{\w+\}/.test(text) ? m.message : text;
}

function errorText(m) {
  switch (m.code) {
    case 'rate_limited':
      return t('err_rate_limited', { seconds: Math.max(1, Math.ceil((m.retry_after_ms ?? 1000) / 1000)) });
    case 'bad_json': case 'bad_message': case 'unknown_type': case 'bad_action':
      return t('err_technical', { message: m.message });
    default:
      return has(`err_${m.code}`) ? t(`err_${m.code}`) : t('err_unknown', { message: m.message ?? m.code });
  }
}

// ---------------------------------------------------------------------------------------------
// Bidding

/**
 * A typed amount with trailing zeros up to the lot's decimals ("1000" -> "1000.00"): the same
 * value, written as the server writes prices. More decimals than allowed are left as typed (the
 * server refuses them; nothing is ever rounded here).
 */
function padDecimals(v, decimals) {
  if (typeof decimals !== 'number' || decimals <= 0) return v;
  const [int, frac = ''] = v.split('.');
  return frac.length >= decimals ? v : `${int}.${frac.padEnd(decimals, '0')}`;
}

/** Read the form: {offer: {price}|{lines}, total} or {error: {key, vars}}. */
function readForm(ui, lot) {
  const bad = (key, vars = {}) => ({ error: { key, vars } });
  const pad = (v) => padDecimals(v, lot.price_decimals);
  if (!ui.hasLines) {
    const text = ui.input.value.trim();
    if (text === '') return bad('local_empty');
    const v = parseAmount(text, lang);
    if (v === null) return bad('local_invalid', { text, example: t('example') });
    return { offer: { price: pad(v) }, total: pad(v) };
  }
  const prices = [];
  for (const x of ui.lineInputs) {
    const text = x.input.value.trim();
    if (text === '') return bad('local_empty_line', { desc: x.line.description });
    const v = parseAmount(text, lang);
    if (v === null) return bad('local_invalid', { text, example: t('example') });
    prices.push(pad(v));
  }
  return { offer: { lines: prices }, total: lineTotal(prices, lot.lines) };
}

async function submitBid(ui) {
  const lot = lotOf(ui.id);
  if (!lot || busy.has(ui.id)) return;
  if (!session || session.status !== 'open') {
    answers.set(ui.id, { kind: 'not_sent' });
    renderAnswer(ui);
    return;
  }
  const form = readForm(ui, lot);
  if (form.error) {
    answers.set(ui.id, { kind: 'local', key: form.error.key, vars: form.error.vars });
    renderAnswer(ui);
    return;
  }
  // The typing-error check: a big drop below one's own standing bid must be confirmed.
  // (Not for a sealed bid: there is no second bid to drop to; the server says why.)
  const oneBid = welcome?.format === 'sealed_bid';
  if (!oneBid && lot.standing && confirmPct && form.total
      && dropsMoreThan(lot.standing.total, form.total, confirmPct)) {
    const ok = await confirmDrop(lot, lot.standing.total, form.total);
    const focusTo = ui.hasLines ? ui.lineInputs[0].input : ui.input;
    focusTo.focus();
    if (!ok) {
      answers.set(ui.id, { kind: 'cancelled' });
      renderAnswer(ui);
      return;
    }
    if (!session || session.status !== 'open') {
      answers.set(ui.id, { kind: 'not_sent' });
      renderAnswer(ui);
      return;
    }
  }
  const entry = {
    lot: ui.id, client_bid_id: newBidId(), ...form.offer, total: form.total,
    sentAt: session.serverNow(),
  };
  sendBid(entry);
}

async function sendBid(entry, resend = false) {
  const ui = lotUi.get(entry.lot);
  busy.set(entry.lot, entry);
  unanswered.set(entry.client_bid_id, entry);
  saveUnanswered();
  const shown = { kind: resend ? 'resending' : 'pending', entry };
  answers.set(entry.lot, shown);
  if (ui) renderLotNow(entry.lot);
  const slowTimer = setTimeout(() => {
    if (answers.get(entry.lot) === shown && shown.kind === 'pending') {
      shown.slow = true;
      if (ui) renderAnswer(ui);
    }
  }, 5000);
  const msg = { type: 'bid', lot: entry.lot, client_bid_id: entry.client_bid_id };
  if (entry.lines) msg.lines = entry.lines;
  else msg.price = entry.price;
  let answer;
  try {
    answer = await session.request(msg);
  } catch (e) {
    clearTimeout(slowTimer);
    busy.delete(entry.lot);
    if (e && (e.message === 'disconnected' || resend)) {
      // Sent, but the answer is lost: keep it, and send it again after the reconnect.
      answers.set(entry.lot, { kind: 'lost', entry });
    } else {
      unanswered.delete(entry.client_bid_id);
      saveUnanswered();
      answers.set(entry.lot, { kind: 'not_sent', entry });
    }
    renderLotNow(entry.lot);
    return;
  }
  clearTimeout(slowTimer);
  busy.delete(entry.lot);
  unanswered.delete(entry.client_bid_id);
  saveUnanswered();
  handleAnswer(entry, answer);
}

function handleAnswer(entry, m) {
  const ui = lotUi.get(entry.lot);
  if (m.type === 'accepted') {
    answers.set(entry.lot, { kind: 'accepted', msg: m, entry });
    const bids = known.get(entry.lot) ?? [];
    if (!bids.some((b) => b.bid === m.bid)) {
      bids.push({ bid: m.bid, at: entry.sentAt, total: m.total, score: m.score, lines: m.lines ?? [], voided: false });
      known.set(entry.lot, bids);
    }
    addReceipt(entry, m);
    if (ui && !ui.hasLines) {
      const typed = parseAmount(ui.input.value, lang);
      if (typed !== null && decCmp(typed, entry.price) === 0) ui.input.value = '';
    }
  } else if (m.type === 'rejected') {
    answers.set(entry.lot, { kind: 'rejected', msg: m, entry });
  } else {
    answers.set(entry.lot, { kind: 'error', msg: m, entry });
  }
  renderLotNow(entry.lot);
}

/** Turn-based rounds: keep the standing price, which ends the turn (no receipt: not a bid). */
async function sendKeep(ui) {
  const lot = lotOf(ui.id);
  if (!lot || busy.has(ui.id)) return;
  if (!session || session.status !== 'open') {
    answers.set(ui.id, { kind: 'not_sent' });
    renderAnswer(ui);
    return;
  }
  const entry = { lot: ui.id, keep: true, total: lot.standing?.total ?? null, sentAt: session.serverNow() };
  busy.set(ui.id, entry);
  answers.set(ui.id, { kind: 'keep_pending', entry });
  renderLotNow(ui.id);
  let m;
  try {
    m = await session.request({ type: 'keep', lot: ui.id });
  } catch (e) {
    busy.delete(ui.id);
    answers.set(ui.id, { kind: e && e.message === 'disconnected' ? 'keep_lost' : 'not_sent', entry });
    renderLotNow(ui.id);
    return;
  }
  busy.delete(ui.id);
  if (m.type === 'done') answers.set(ui.id, { kind: 'kept', msg: m, entry });
  else if (m.type === 'rejected') answers.set(ui.id, { kind: 'rejected', msg: m, entry });
  else answers.set(ui.id, { kind: 'error', msg: m, entry });
  renderLotNow(ui.id);
}

function addReceipt(entry, m) {
  if (!m.receipt || receipts.some((r) => r.seq === m.receipt.seq)) return;
  receipts.unshift({
    auction: welcome.auction, supplier: welcome.id, lot: entry.lot, lot_name: lotName(entry.lot),
    client_bid_id: m.client_bid_id, bid: m.bid, total: m.total, score: m.score,
    lines: m.lines ?? null, seq: m.receipt.seq, hash: m.receipt.hash, repeated: !!m.repeated,
    received_at: session ? Math.round(session.serverNow()) : Date.now(),
  });
  store('receipts', receipts);
  renderReceipts();
}

function renderLotNow(id) {
  const ui = lotUi.get(id);
  const lot = lotOf(id);
  if (ui && lot) renderLot(ui, lot);
}

/** After a reconnect: the bids whose answer was lost. */
function resolveUnanswered(w) {
  const now = session.serverNow();
  for (const entry of [...unanswered.values()]) {
    if (busy.has(entry.lot)) continue;
    const lot = w.state.lots.find((l) => l.lot === entry.lot);
    if (!lot) { unanswered.delete(entry.client_bid_id); continue; }
    // own_bids in the welcome lists every bid the auction accepted from us.
    const accepted = (lot.own_bids ?? []).some((b) => b.at >= entry.sentAt - 30000 && sameOffer(b, entry));
    if (accepted || now - entry.sentAt <= RESEND_WINDOW_MS) {
      // The same client_bid_id: the server answers the original acceptance (repeated: true) if it
      // had the bid, and decides it now if it never got it.
      sendBid(entry, true);
    } else {
      unanswered.delete(entry.client_bid_id);
      answers.set(entry.lot, { kind: 'expired', entry });
    }
  }
  saveUnanswered();
}

// ---------------------------------------------------------------------------------------------
// The confirmation dialog

function confirmDrop(lot, prev, next) {
  const dlg = $('confirm-dialog');
  const pct = dropPercent(prev, next);
  setText($('confirm-text'), t('confirm_text', { lot: lot.name, pct: number(pct), limit: number(confirmPct) }));
  setText($('confirm-old'), money(prev));
  setText($('confirm-new'), money(next));
  setText($('confirm-pct'), `${number(pct)}%`);
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'yes'), { once: true });
    dlg.showModal();
    $('confirm-no').focus();
  });
}

function bindDialog() {
  const dlg = $('confirm-dialog');
  $('confirm-yes').addEventListener('click', () => dlg.close('yes'));
  $('confirm-no').addEventListener('click', () => dlg.close('no'));
}

// ---------------------------------------------------------------------------------------------
// Server messages

function applySnapshot(state, seq) {
  if (typeof seq === 'number' && seq < snapSeq) return; // an older one, overtaken
  snapSeq = typeof seq === 'number' ? seq : snapSeq;
  snap = state;
  for (const lot of state.lots) {
    if (Array.isArray(lot.own_bids)) known.set(lot.lot, lot.own_bids.map((b) => ({ ...b })));
  }
  const paused = state.phase === 'paused' || state.lots.some((l) => l.paused);
  if (!paused) { pausedAt = null; pauseReason = null; }
  else if (pausedAt === null) pausedAt = session ? session.serverNow() : Date.now();
  buildLots();
  renderAll();
}

function addEvent(msg) {
  // One input can give several turn notices on a lot (a turn ended, the next started).
  const key = `${msg.seq}:${msg.type}:${msg.lot ?? ''}${msg.type === 'turn' ? `:${msg.phase}` : ''}`;
  if (events.some((e) => e.key === key)) return;
  events.unshift({ key, msg });
  if (events.length > EVENTS_MAX) events.length = EVENTS_MAX;
  store('events', events);
}

function rememberSeq() {
  if (!session || session.lastSeq === null || session.lastSeq === savedSeq) return;
  savedSeq = session.lastSeq;
  try {
    sessionStorage.setItem(RESUME_KEY, JSON.stringify({ token: tokenTag(sessionToken), seq: savedSeq }));
  } catch (_) { /* ignore */ }
}

function onMessage(m) {
  rememberSeq();
  switch (m.type) {
    case 'state':
      applySnapshot(m.state, m.seq);
      return;
    case 'accepted': case 'rejected': case 'done':
      return; // answers: handled where the request was made
    case 'error':
      if (m.req_id === 'auth' || m.req_id === undefined) showGlobalError(m);
      return;
    case 'phase': case 'extended': case 'paused': case 'resumed': case 'bid_voided':
    case 'disqualified': case 'message': case 'terminated': case 'result': case 'dropped':
    case 'turn':
      break;
    default:
      return;
  }
  // Turn notices of a lot one is not admitted to say nothing to this supplier.
  if (m.type === 'turn' && lotOf(m.lot)?.admitted === false) return;
  addEvent(m);
  if (m.type === 'extended') extensions.set(m.lot, m);
  if (m.type === 'paused') { pausedAt = m.at; pauseReason = m.reason; }
  if (m.type === 'resumed') { pausedAt = null; pauseReason = null; }
  if (m.type === 'terminated') terminatedReason = m.reason;
  if (m.type === 'disqualified') disqualifiedReason = m.reason;
  if (m.type === 'result') lotNotes.set(m.lot, { kind: 'result', msg: m });
  if (m.type === 'bid_voided' && m.yours) {
    lotNotes.set(m.lot, { kind: 'voided', msg: m });
    const last = answers.get(m.lot);
    if (last && last.kind === 'accepted' && last.msg.bid === m.bid) last.voided = true;
    const bids = known.get(m.lot) ?? [];
    for (const b of bids) if (b.bid === m.bid) b.voided = true;
    session.request({ type: 'state' }).catch(() => { /* the next welcome has own_bids */ });
  }
  renderAll();
}

function showGlobalError(m) {
  // Before the first welcome (too_many_connections, overloaded at sign-in): say it at the form.
  if (!welcome) setText($('signin-error'), errorText(m));
}

function onWelcome(w) {
  if (w.role !== 'supplier') {
    // Stopped once Session has finished handling the welcome (it starts its ping timer after
    // this callback; a stop() from inside would leave that timer running).
    setTimeout(() => { stopSession(); showSignedIn(false); }, 0);
    rememberToken(null);
    setText($('signin-error'), t('signin_not_supplier'));
    showSignedIn(false);
    return;
  }
  const key = `${w.auction}/${w.id}`;
  if (key !== storeKey) {
    storeKey = key;
    receipts = load('receipts', []);
    events = load('events', []);
    unanswered = new Map(load('unanswered', []).map((e) => [e.client_bid_id, e]));
    known.clear(); answers.clear(); extensions.clear(); lotNotes.clear(); busy.clear();
    for (const e of [...events].reverse()) {
      if (e.msg.type === 'extended') extensions.set(e.msg.lot, e.msg);
      if (e.msg.type === 'result') lotNotes.set(e.msg.lot, { kind: 'result', msg: e.msg });
      if (e.msg.type === 'terminated') terminatedReason = e.msg.reason;
      if (e.msg.type === 'disqualified') disqualifiedReason = e.msg.reason;
      if (e.msg.type === 'paused') { pauseReason = e.msg.reason; pausedAt = e.msg.at; }
      if (e.msg.type === 'resumed') { pauseReason = null; pausedAt = null; }
    }
  }
  welcome = w;
  rememberSeq();
  confirmPct = typeof w.confirm_drop_percent === 'string' ? w.confirm_drop_percent : null;
  snapSeq = -1;
  setText($('signin-error'), '');
  showSignedIn(true);
  applyI18n();
  applySnapshot(w.state, w.seq);
  resolveUnanswered(w);
  renderAll();
}

// ---------------------------------------------------------------------------------------------
// Sign-in

function showSignedIn(on) {
  $('signin').hidden = on;
  $('app').hidden = !on;
  $('sign-out').hidden = !session;
}

function stopSession(status = 'signed-out') {
  if (session) session.stop();
  session = null;
  connStatus = status;
  busy.clear(); // Session.stop() leaves waiting requests unsettled
  renderConn();
}

function startSession(token) {
  stopSession();
  welcome = null;
  session = new Session(token, {
    onStatus: (status) => {
      connStatus = status;
      if (status === 'failed') {
        stopSession('failed');
        rememberToken(null);
        welcome = null;
        showSignedIn(false);
        setText($('signin-error'), t('signin_refused'));
        $('token').focus();
        renderConn();
        return;
      }
      renderAll();
    },
    onWelcome,
    onMessage,
  });
  // After a reload of the page, resume from the last notice this tab saw with this token: the
  // notices missed meanwhile follow the welcome (shown as history; the snapshot is the truth).
  try {
    const r = JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? 'null');
    if (r && r.token === tokenTag(token) && Number.isInteger(r.seq)) session.lastSeq = r.seq;
  } catch (_) { /* ignore */ }
  sessionToken = token;
  connStatus = session.status;
  $('sign-out').hidden = false;
  renderConn();
}

function signOut() {
  stopSession();
  rememberToken(null);
  try { sessionStorage.removeItem(RESUME_KEY); } catch (_) { /* ignore */ }
  $('messages').replaceChildren();
  $('messages').dataset.sig = '';
  $('receipts-body').dataset.sig = '';
  welcome = null;
  snap = null;
  storeKey = null;
  $('lot-list').replaceChildren();
  $('lot-list').dataset.ids = '';
  lotUi.clear();
  setText($('whoami'), '');
  $('token').value = '';
  showSignedIn(false);
  $('sign-out').hidden = true;
  $('sign-in').disabled = false;
  applyI18n();
  renderConn();
  $('token').focus();
}

function downloadReceipts() {
  if (!welcome) return;
  const doc = {
    auction: welcome.auction,
    title: welcome.title,
    mode: welcome.mode,
    supplier: welcome.id,
    exported_at: new Date(session ? session.serverNow() : Date.now()).toISOString(),
    note: 'receipt.hash is the SHA-256 of the log line with number receipt.seq (docs/log-format.md, Receipts).',
    receipts: [...receipts].reverse(),
  };
  const blob = new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: `${t('receipts_file')}-${welcome.auction}-${welcome.id}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---------------------------------------------------------------------------------------------
// The clock

function tick() {
  const now = Date.now();
  // A timer that fired late means the tab or device slept: measure the server clock again.
  if (now - lastTick > 2000 && session) session.wake();
  lastTick = now;
  if (!snap) return;
  for (const lot of snap.lots) {
    const ui = lotUi.get(lot.lot);
    if (ui) renderCountdown(ui, lot);
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function init() {
  bindLangSwitch($('lang'), onLangChange);
  lang = getLang();
  applyI18n();
  bindDialog();
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      setText($('signin-error'), t('signin_empty'));
      $('token').focus();
      return;
    }
    setText($('signin-error'), '');
    rememberToken(token);
    startSession(token);
  });
  $('sign-out').addEventListener('click', signOut);
  $('receipts-download').addEventListener('click', downloadReceipts);
  renderConn();
  const token = initialToken();
  if (token) startSession(token);
  setInterval(tick, 250);
}

init();
