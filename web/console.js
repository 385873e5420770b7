// The auctioneer console: live ladders with supplier identities, supplier presence, the
// auctioneer's controls (each with a mandatory reason), four-eyes approvals and an event feed.
// The auditor gets the same view read-only; an observer gets the ladders by alias, read-only.
// A supplier's token is refused politely (suppliers bid on /bid).
//
// The snapshot (`welcome.state`, then every `state`) is the truth on display: the page is
// rendered from it. Notices only feed the event list (and make the pending list react before
// the next snapshot arrives).

import {
  $, Session, translator, getLang, bindLangSwitch, fmtMoney, fmtNumber, fmtTime, fmtClock,
  fmtCountdown, el, initialToken, rememberToken,
} from './common.js';

// ---------------------------------------------------------------------------------------------
// Texts

const DICT = {
  nl: {
    pageTitle: 'Veilingconsole — veiling',
    skip: 'Naar de inhoud',
    title: 'Veilingconsole',
    langLabel: 'Taal',
    signIn: 'Aanmelden',
    signOut: 'Afmelden',
    signinHeading: 'Aanmelden',
    signinIntro: 'Meld u aan met uw token uit credentials.json (veilingmeester; de auditor en waarnemers kijken alleen mee).',
    tokenLabel: 'Token',
    tokenMissing: 'Vul uw token in.',
    tokenRefused: 'Aanmelden mislukt: dit token wordt niet herkend.',
    supplierToken: 'Dit is het token van een leverancier. Leveranciers bieden op de biedpagina (/bid); deze console is voor veilingmeesters.',
    'status.signed-out': 'Niet aangemeld',
    'status.connecting': 'Verbinden…',
    'status.open': 'Verbonden',
    'status.reconnecting': 'Verbinding verbroken, opnieuw verbinden…',
    'status.failed': 'Aanmelden mislukt',
    'role.auctioneer': 'veilingmeester',
    'role.auditor': 'auditor',
    'role.observer': 'waarnemer',
    'role.supplier': 'leverancier',
    whoami: 'Aangemeld als {id} ({role})',
    readonlyAuditor: 'Alleen-lezen: u bent aangemeld als auditor. U ziet alles wat de veilingmeesters zien, maar kunt niets wijzigen.',
    readonlyObserver: 'Alleen-lezen: u bent aangemeld als waarnemer. U ziet de biedingen onder schuilnamen (A, B, …) en kunt niets wijzigen.',
    auctionHeading: 'Veiling',
    auctionPhaseLabel: 'Status veiling',
    'phase.scheduled': 'gepland',
    'phase.open': 'open',
    'phase.paused': 'gepauzeerd',
    'phase.closed': 'gesloten',
    'phase.awarded': 'gegund',
    'phase.terminated': 'beëindigd',
    controlsHeading: 'Bediening',
    controlsIntro: 'Elke handeling vraagt eerst om een reden; die komt in het logboek.',
    runHeading: 'Verloop',
    pause: 'Pauzeren',
    resume: 'Hervatten',
    terminate: 'Veiling beëindigen',
    messageHeading: 'Bericht aan iedereen',
    messageLabel: 'Tekst (max. 2000 tekens)',
    messageSend: 'Versturen',
    disqHeading: 'Leverancier diskwalificeren',
    disqLabel: 'Leverancier',
    disqChoose: '— kies een leverancier —',
    disqualify: 'Diskwalificeren',
    pendingHeading: 'Wachtende verzoeken (vier ogen)',
    pendingEmpty: 'Er wachten geen verzoeken op goedkeuring.',
    colRequest: 'Verzoek',
    colBy: 'Aangevraagd door',
    colTime: 'Tijd',
    colAction: 'Handeling',
    colReason: 'Reden',
    colDecision: 'Besluit',
    approve: 'Goedkeuren',
    decline: 'Afwijzen',
    withdraw: 'Intrekken',
    ownRequest: 'Uw eigen verzoek: een andere veilingmeester moet het goedkeuren.',
    presenceHeading: 'Leveranciers',
    colSupplier: 'Leverancier',
    colName: 'Naam',
    colConnection: 'Verbinding',
    colStanding: 'Deelname',
    online: 'online, {n} verbinding(en)',
    offline: 'offline',
    disqualified: 'gediskwalificeerd',
    active: 'toegelaten',
    presenceNone: 'Geen gegevens over verbindingen.',
    lotsHeading: 'Percelen',
    lotHeading: 'Perceel {lot}: {name}',
    lotPhase: 'Status',
    remaining: 'Resterende tijd',
    opensIn: 'Opent over',
    closesAt: 'Sluitingstijd',
    opensAt: 'Opent om',
    hardClose: 'Uiterste sluiting',
    none: 'geen',
    extensionsUsed: 'Verlengingen (soft close)',
    bidsLabel: 'Biedingen',
    bidsCount: '{accepted} geaccepteerd, {voided} ongeldig verklaard',
    ceiling: 'Plafondprijs',
    'note.running': '',
    'note.disconnected': 'niet verbonden: tijd onzeker',
    'note.paused': 'gepauzeerd: de tijd staat stil',
    'note.scheduled': 'nog niet geopend',
    'note.closed': '',
    extendLabel: 'Verlengen met (seconden)',
    extend: 'Verlengen',
    award: 'Gunnen',
    awardHint: 'Gunnen kan pas als het perceel gesloten is.',
    awardPractice: 'Gunnen kan niet: een oefenveiling wordt nooit gegund.',
    practicePrefix: 'Oefenveiling · ',
    practiceWord: 'OEFENVEILING',
    practiceBanner: ' — dit is een oefening. Niets wat hier geboden wordt is bindend, de inkopers zien het niet, en een oefenveiling wordt nooit gegund.',
    practiceBots: ' Leveranciers gemarkeerd als bot (oefenbot-…) bieden vanzelf.',
    bot: 'bot',
    botPresence: 'bot: biedt vanzelf',
    botOption: '(bot)',
    awardedTo: 'Gegund aan: {winners}.',
    awardedNone: 'Gegund zonder biedingen.',
    reserveMet: 'Reserveprijs gehaald.',
    reserveNotMet: 'Reserveprijs niet gehaald.',
    ladderLabel: 'Ranglijst van perceel {lot}',
    ladderEmpty: 'Nog geen biedingen.',
    offeredPrice: 'Aangeboden prijs',
    'ev.price': 'Perceel {lot} biedt nu {price} (stap {step}).',
    'ev.dropped': 'Bieder {supplier} is uit perceel {lot}: stap {step} niet bevestigd.',
    'ev.roundOpen': 'Perceel {lot}: ronde {n} geopend, sluit om {time}.',
    'ev.roundClosed': 'Perceel {lot}: ronde {n} gesloten; de biedingen zijn geopend.',
    turnRoundLabel: 'Ronde (beurten)',
    turnRoundValue: '{round} van {rounds}',
    turnNowLabel: 'Beurt',
    turnNow: '{turn} van {turns}: {who}, tot {time}',
    turnNowUnknown: '{turn} van {turns}, tot {time}',
    turnPause: 'pauze; de ronde begint om {time}',
    turnLeft: 'nog {time}',
    turnOrderLabel: 'Volgorde (slechtste score eerst)',
    turnOrderUnknown: 'bekend vanaf de volgende ronde (deze ronde begon vóór het aanmelden)',
    turnOrderNow: 'nu aan de beurt',
    turnOrderDone: 'geweest',
    'ev.turnRound': 'Perceel {lot}: ronde {round} geopend, eerste beurt om {time}; volgorde (slechtste score eerst): {order}.',
    'ev.turnStarted': 'Perceel {lot}: beurt {turn} van ronde {round} voor {who}, tot {time}.',
    'ev.turnEndedKept': 'Perceel {lot}: beurt {turn} van {who} voorbij; prijs behouden.',
    'ev.turnEndedBid': 'Perceel {lot}: beurt {turn} van {who} voorbij met bod #{bid}.',
    'ev.turnEndedLower': 'Perceel {lot}: beurt {turn} van {who} voorbij; prijs verlaagd.',
    ladderSealed: 'Gesloten inschrijving: de biedingen ({n} ontvangen) worden bij de sluiting geopend.',
    ladderSealedObserver: 'Gesloten inschrijving: de biedingen worden bij de sluiting geopend.',
    colRank: 'Rang',
    colAlias: 'Bieder',
    colBid: 'Bod nr.',
    colTotal: 'Totaal',
    colScore: 'Score',
    colLine: '{description} (per {unit}, × {quantity})',
    colVoid: 'Actie',
    void: 'Ongeldig',
    voidHidden: ': bod {bid} van {supplier}',
    feedHeading: 'Gebeurtenissen',
    feedEmpty: 'Nog geen gebeurtenissen sinds het aanmelden.',
    reasonLabel: 'Reden (verplicht, max. 500 tekens)',
    reasonCount: '{n} van 500 tekens.',
    reasonKeys: 'Enter bevestigt, Shift+Enter voor een nieuwe regel, Escape annuleert.',
    reasonRequired: 'Vul een reden in.',
    ok: 'Bevestigen',
    cancel: 'Annuleren',
    sending: 'Bezig met versturen…',
    notConnected: 'Niet verbonden: de handeling is niet verstuurd.',
    lostAnswer: 'De verbinding viel weg voordat het antwoord kwam. Controleer de stand (en de wachtende verzoeken) voordat u het opnieuw probeert.',
    answerDone: '{what}: uitgevoerd (invoer #{seq}).',
    answerPending: '{what}: wacht op een tweede veilingmeester (verzoek #{seq}).',
    answerRejected: '{what}: geweigerd [{code}]. {hint}{message}',
    answerError: '{what}: fout [{code}]. {message}',
    answerLocal: '{what}: {message}',
    needText: 'vul eerst de tekst van het bericht in.',
    needSupplier: 'kies eerst een leverancier.',
    needSeconds: 'geef een heel aantal seconden op (1 tot 86400).',
    // Dialog titles and descriptions
    'dlg.pause': 'Veiling pauzeren',
    'dlgd.pause': 'Alle open percelen staan stil; biedingen worden geweigerd tot u hervat.',
    'dlg.resume': 'Veiling hervatten',
    'dlgd.resume': 'De sluitingstijden schuiven op met de duur van de pauze.',
    'dlg.extend': 'Perceel {lot} verlengen',
    'dlgd.extend': 'De sluitingstijd van perceel {lot} schuift {s} seconden op.',
    'dlg.void': 'Bod ongeldig verklaren',
    'dlgd.void': '{action}. Onder het vier-ogenprincipe moet een tweede veilingmeester dit goedkeuren.',
    'dlg.disqualify': 'Leverancier diskwalificeren',
    'dlgd.disqualify': '{action}. De leverancier kan daarna niet meer bieden. Onder het vier-ogenprincipe moet een tweede veilingmeester dit goedkeuren.',
    'dlg.message': 'Bericht versturen',
    'dlgd.message': 'Dit bericht gaat naar alle deelnemers: “{text}”',
    'dlg.terminate': 'Veiling beëindigen',
    'dlgd.terminate': 'Alle percelen die nog niet gegund zijn, worden beëindigd. Dit kan niet ongedaan worden gemaakt. Onder het vier-ogenprincipe moet een tweede veilingmeester dit goedkeuren.',
    'dlg.award': 'Perceel {lot} gunnen',
    'dlgd.award': 'De ranglijst van perceel {lot} wordt definitief. Op rang 1: {first}.',
    'dlg.decline': 'Verzoek #{n} afwijzen',
    'dlg.withdraw': 'Verzoek #{n} intrekken',
    'dlgd.decline': 'Verzoek van {by}: {action}.',
    nobody: 'niemand',
    // Actions in words
    'act.pause': 'Veiling pauzeren',
    'act.resume': 'Veiling hervatten',
    'act.extend': 'Perceel {lot} met {s} s verlengen',
    'act.void': 'Bod #{bid}{detail} ongeldig verklaren',
    'act.voidDetail': ' van {supplier} op perceel {lot} ({total})',
    'act.disqualify': 'Leverancier {supplier} diskwalificeren',
    'act.message': 'Bericht versturen: “{text}”',
    'act.terminate': 'Veiling beëindigen',
    'act.award': 'Perceel {lot} gunnen',
    'act.approve': 'Verzoek #{n} goedkeuren',
    'act.decline': 'Verzoek #{n} afwijzen',
    // Notices
    'ev.phaseAuction': 'Veiling: {phase}.',
    'ev.phaseLot': 'Perceel {lot}: {phase}.',
    'ev.phaseDeadline': ' Sluit om {time}.',
    'ev.phaseOpensAt': ' Opent om {time}.',
    'ev.extendedSoft': 'Perceel {lot} verlengd (soft close) van {from} tot {to}; verlengingen: {n}.',
    'ev.extendedManual': 'Perceel {lot} door een veilingmeester verlengd van {from} tot {to}: {reason}',
    'ev.paused': 'Veiling gepauzeerd: {reason}',
    'ev.resumed': 'Veiling hervat na {s} s: {reason}',
    'ev.bidVoided': 'Bod #{bid} van {supplier} op perceel {lot} ongeldig verklaard: {reason}',
    'ev.disqualified': 'Leverancier {supplier} gediskwalificeerd: {reason}',
    'ev.message': 'Bericht aan iedereen: {text}',
    'ev.terminated': 'Veiling beëindigd: {reason}',
    'ev.result': 'Perceel {lot} gegund aan {winners}.',
    'ev.bid': 'Bod #{bid} op perceel {lot} van {supplier}: {total} (score {score}).',
    'ev.request': 'Verzoek #{n} van {by}: {action}. Reden: {reason}',
    'ev.approved': 'Verzoek #{n} goedgekeurd door {by}.',
    'ev.declined': 'Verzoek #{n} afgewezen door {by}: {reason}',
    'ev.disconnected': 'Verbinding met de server verbroken.',
    'ev.reconnected': 'Weer verbonden.',
    'ev.snapshotOnly': 'Weer verbonden; niet alle gemiste gebeurtenissen zijn nog beschikbaar. De stand hierboven is volledig.',
    // Short explanations of some rejection codes (the server's message follows in English)
    'why.not_paused': 'De veiling is niet gepauzeerd. ',
    'why.auction_paused': 'De veiling is al gepauzeerd. ',
    'why.auction_not_open': 'De veiling is nog niet geopend. ',
    'why.auction_ended': 'De veiling of het perceel is al afgelopen. ',
    'why.lot_not_closed': 'Het perceel is nog niet gesloten. ',
    'why.lot_already_awarded': 'Het perceel is al gegund. ',
    'why.self_approval': 'U kunt uw eigen verzoek niet goedkeuren. ',
    'why.already_requested': 'Dezelfde handeling wacht al op goedkeuring. ',
    'why.unknown_request': 'Dit verzoek wacht niet (meer) op goedkeuring. ',
    'why.bid_already_voided': 'Dit bod is al ongeldig verklaard. ',
    'why.already_disqualified': 'Deze leverancier is al gediskwalificeerd. ',
    'why.reason_required': 'Een reden is verplicht. ',
    'why.text_too_long': 'De tekst is te lang. ',
    'why.extension_out_of_range': 'Een verlenging moet meer dan 0 en hoogstens 24 uur zijn. ',
    'why.too_many_pending': 'Er wachten al te veel verzoeken. ',
    'why.pending_request': 'Eerst moet een wachtend verzoek worden afgehandeld. ',
  },
  en: {
    pageTitle: 'Auctioneer console — veiling',
    skip: 'Skip to content',
    title: 'Auctioneer console',
    langLabel: 'Language',
    signIn: 'Sign in',
    signOut: 'Sign out',
    signinHeading: 'Sign in',
    signinIntro: 'Sign in with your token from credentials.json (auctioneer; the auditor and observers can only watch).',
    tokenLabel: 'Token',
    tokenMissing: 'Enter your token.',
    tokenRefused: 'Sign-in failed: this token is not recognised.',
    supplierToken: 'This is a supplier\'s token. Suppliers bid on the bidder page (/bid); this console is for auctioneers.',
    'status.signed-out': 'Signed out',
    'status.connecting': 'Connecting…',
    'status.open': 'Connected',
    'status.reconnecting': 'Disconnected, reconnecting…',
    'status.failed': 'Sign-in failed',
    'role.auctioneer': 'auctioneer',
    'role.auditor': 'auditor',
    'role.observer': 'observer',
    'role.supplier': 'supplier',
    whoami: 'Signed in as {id} ({role})',
    readonlyAuditor: 'Read-only: you are signed in as the auditor. You see everything the auctioneers see, but can change nothing.',
    readonlyObserver: 'Read-only: you are signed in as an observer. You see the bids under aliases (A, B, …) and can change nothing.',
    auctionHeading: 'Auction',
    auctionPhaseLabel: 'Auction status',
    'phase.scheduled': 'scheduled',
    'phase.open': 'open',
    'phase.paused': 'paused',
    'phase.closed': 'closed',
    'phase.awarded': 'awarded',
    'phase.terminated': 'terminated',
    controlsHeading: 'Controls',
    controlsIntro: 'Every action first asks for a reason, which goes on the record.',
    runHeading: 'Running the auction',
    pause: 'Pause',
    resume: 'Resume',
    terminate: 'Terminate auction',
    messageHeading: 'Message to everyone',
    messageLabel: 'Text (at most 2000 characters)',
    messageSend: 'Send',
    disqHeading: 'Disqualify a supplier',
    disqLabel: 'Supplier',
    disqChoose: '— choose a supplier —',
    disqualify: 'Disqualify',
    pendingHeading: 'Requests waiting for approval (four eyes)',
    pendingEmpty: 'No requests are waiting for approval.',
    colRequest: 'Request',
    colBy: 'Requested by',
    colTime: 'Time',
    colAction: 'Action',
    colReason: 'Reason',
    colDecision: 'Decision',
    approve: 'Approve',
    decline: 'Decline',
    withdraw: 'Withdraw',
    ownRequest: 'Your own request: another auctioneer has to approve it.',
    presenceHeading: 'Suppliers',
    colSupplier: 'Supplier',
    colName: 'Name',
    colConnection: 'Connection',
    colStanding: 'Participation',
    online: 'online, {n} connection(s)',
    offline: 'offline',
    disqualified: 'disqualified',
    active: 'admitted',
    presenceNone: 'No connection data.',
    lotsHeading: 'Lots',
    lotHeading: 'Lot {lot}: {name}',
    lotPhase: 'Status',
    remaining: 'Time left',
    opensIn: 'Opens in',
    closesAt: 'Deadline',
    opensAt: 'Opens at',
    hardClose: 'Hard close',
    none: 'none',
    extensionsUsed: 'Extensions (soft close)',
    bidsLabel: 'Bids',
    bidsCount: '{accepted} accepted, {voided} voided',
    ceiling: 'Ceiling',
    'note.running': '',
    'note.disconnected': 'not connected: time uncertain',
    'note.paused': 'paused: the clock stands still',
    'note.scheduled': 'not open yet',
    'note.closed': '',
    extendLabel: 'Extend by (seconds)',
    extend: 'Extend',
    award: 'Award',
    awardHint: 'A lot can be awarded once it has closed.',
    awardPractice: 'Award not possible: a practice auction is never awarded.',
    practicePrefix: 'Practice · ',
    practiceWord: 'PRACTICE AUCTION',
    practiceBanner: ' — this is a rehearsal. Nothing bid here is binding, the buyers do not see it, and a practice auction is never awarded.',
    practiceBots: ' Suppliers marked as bot (oefenbot-…) bid by themselves.',
    bot: 'bot',
    botPresence: 'bot: bids by itself',
    botOption: '(bot)',
    awardedTo: 'Awarded to: {winners}.',
    awardedNone: 'Awarded without bids.',
    reserveMet: 'Reserve met.',
    reserveNotMet: 'Reserve not met.',
    ladderLabel: 'Ladder of lot {lot}',
    ladderEmpty: 'No bids yet.',
    offeredPrice: 'Price offered',
    'ev.price': 'Lot {lot} now offers {price} (step {step}).',
    'ev.dropped': 'Bidder {supplier} is out of lot {lot}: step {step} not confirmed.',
    'ev.roundOpen': 'Lot {lot}: round {n} opened, closes at {time}.',
    'ev.roundClosed': 'Lot {lot}: round {n} closed; its bids are opened.',
    turnRoundLabel: 'Round (turns)',
    turnRoundValue: '{round} of {rounds}',
    turnNowLabel: 'Turn',
    turnNow: '{turn} of {turns}: {who}, until {time}',
    turnNowUnknown: '{turn} of {turns}, until {time}',
    turnPause: 'pause; the round starts at {time}',
    turnLeft: '{time} left',
    turnOrderLabel: 'Order (worst score first)',
    turnOrderUnknown: 'known from the next round (this round started before you signed in)',
    turnOrderNow: 'turn now',
    turnOrderDone: 'done',
    'ev.turnRound': 'Lot {lot}: round {round} opened, first turn at {time}; order (worst score first): {order}.',
    'ev.turnStarted': 'Lot {lot}: turn {turn} of round {round} for {who}, until {time}.',
    'ev.turnEndedKept': 'Lot {lot}: turn {turn} of {who} over; price kept.',
    'ev.turnEndedBid': 'Lot {lot}: turn {turn} of {who} over with bid #{bid}.',
    'ev.turnEndedLower': 'Lot {lot}: turn {turn} of {who} over; price lowered.',
    ladderSealed: 'Sealed bid: the bids ({n} received) are opened at the close.',
    ladderSealedObserver: 'Sealed bid: the bids are opened at the close.',
    colRank: 'Rank',
    colAlias: 'Bidder',
    colBid: 'Bid no.',
    colTotal: 'Total',
    colScore: 'Score',
    colLine: '{description} (per {unit}, × {quantity})',
    colVoid: 'Action',
    void: 'Void',
    voidHidden: ': bid {bid} by {supplier}',
    feedHeading: 'Events',
    feedEmpty: 'No events since you signed in.',
    reasonLabel: 'Reason (required, at most 500 characters)',
    reasonCount: '{n} of 500 characters.',
    reasonKeys: 'Enter confirms, Shift+Enter for a new line, Escape cancels.',
    reasonRequired: 'Enter a reason.',
    ok: 'Confirm',
    cancel: 'Cancel',
    sending: 'Sending…',
    notConnected: 'Not connected: the action was not sent.',
    lostAnswer: 'The connection was lost before the answer came. Check the state (and the waiting requests) before you try again.',
    answerDone: '{what}: done (input #{seq}).',
    answerPending: '{what}: waiting for a second auctioneer (request #{seq}).',
    answerRejected: '{what}: rejected [{code}]. {hint}{message}',
    answerError: '{what}: error [{code}]. {message}',
    answerLocal: '{what}: {message}',
    needText: 'enter the text of the message first.',
    needSupplier: 'choose a supplier first.',
    needSeconds: 'give a whole number of seconds (1 to 86400).',
    'dlg.pause': 'Pause the auction',
    'dlgd.pause': 'Every open lot stands still; bids are rejected until you resume.',
    'dlg.resume': 'Resume the auction',
    'dlgd.resume': 'The deadlines move later by the length of the pause.',
    'dlg.extend': 'Extend lot {lot}',
    'dlgd.extend': 'The deadline of lot {lot} moves {s} seconds later.',
    'dlg.void': 'Void a bid',
    'dlgd.void': '{action}. Under the four-eyes rule a second auctioneer has to approve this.',
    'dlg.disqualify': 'Disqualify a supplier',
    'dlgd.disqualify': '{action}. The supplier can no longer bid. Under the four-eyes rule a second auctioneer has to approve this.',
    'dlg.message': 'Send a message',
    'dlgd.message': 'This message goes to every participant: “{text}”',
    'dlg.terminate': 'Terminate the auction',
    'dlgd.terminate': 'Every lot not yet awarded is terminated. This cannot be undone. Under the four-eyes rule a second auctioneer has to approve this.',
    'dlg.award': 'Award lot {lot}',
    'dlgd.award': 'The ladder of lot {lot} becomes final. At rank 1: {first}.',
    'dlg.decline': 'Decline request #{n}',
    'dlg.withdraw': 'Withdraw request #{n}',
    'dlgd.decline': 'Request by {by}: {action}.',
    nobody: 'nobody',
    'act.pause': 'Pause the auction',
    'act.resume': 'Resume the auction',
    'act.extend': 'Extend lot {lot} by {s} s',
    'act.void': 'Void bid #{bid}{detail}',
    'act.voidDetail': ' by {supplier} on lot {lot} ({total})',
    'act.disqualify': 'Disqualify supplier {supplier}',
    'act.message': 'Send a message: “{text}”',
    'act.terminate': 'Terminate the auction',
    'act.award': 'Award lot {lot}',
    'act.approve': 'Approve request #{n}',
    'act.decline': 'Decline request #{n}',
    'ev.phaseAuction': 'Auction: {phase}.',
    'ev.phaseLot': 'Lot {lot}: {phase}.',
    'ev.phaseDeadline': ' Closes at {time}.',
    'ev.phaseOpensAt': ' Opens at {time}.',
    'ev.extendedSoft': 'Lot {lot} extended (soft close) from {from} to {to}; extensions: {n}.',
    'ev.extendedManual': 'Lot {lot} extended by an auctioneer from {from} to {to}: {reason}',
    'ev.paused': 'Auction paused: {reason}',
    'ev.resumed': 'Auction resumed after {s} s: {reason}',
    'ev.bidVoided': 'Bid #{bid} by {supplier} on lot {lot} voided: {reason}',
    'ev.disqualified': 'Supplier {supplier} disqualified: {reason}',
    'ev.message': 'Message to everyone: {text}',
    'ev.terminated': 'Auction terminated: {reason}',
    'ev.result': 'Lot {lot} awarded to {winners}.',
    'ev.bid': 'Bid #{bid} on lot {lot} by {supplier}: {total} (score {score}).',
    'ev.request': 'Request #{n} by {by}: {action}. Reason: {reason}',
    'ev.approved': 'Request #{n} approved by {by}.',
    'ev.declined': 'Request #{n} declined by {by}: {reason}',
    'ev.disconnected': 'Connection to the server lost.',
    'ev.reconnected': 'Connected again.',
    'ev.snapshotOnly': 'Connected again; not every missed event is still available. The state above is complete.',
    'why.not_paused': 'The auction is not paused. ',
    'why.auction_paused': 'The auction is already paused. ',
    'why.auction_not_open': 'The auction has not opened yet. ',
    'why.auction_ended': 'The auction or the lot has ended. ',
    'why.lot_not_closed': 'The lot has not closed yet. ',
    'why.lot_already_awarded': 'The lot is already awarded. ',
    'why.self_approval': 'You cannot approve your own request. ',
    'why.already_requested': 'The same action already waits for approval. ',
    'why.unknown_request': 'This request is not (or no longer) waiting. ',
    'why.bid_already_voided': 'This bid is already voided. ',
    'why.already_disqualified': 'This supplier is already disqualified. ',
    'why.reason_required': 'A reason is required. ',
    'why.text_too_long': 'The text is too long. ',
    'why.extension_out_of_range': 'An extension must be more than 0 and at most 24 hours. ',
    'why.too_many_pending': 'Too many requests are waiting already. ',
    'why.pending_request': 'A waiting request has to be settled first. ',
  },
};

const t = translator(DICT);

/** A translation that may be missing: '' instead of the key. */
function tOpt(key, vars) {
  const s = t(key, vars);
  return s === key ? '' : s;
}

// ---------------------------------------------------------------------------------------------
// State of the page

const FEED_MAX = 200;
const TICK_MS = 250;
const RENDER_GAP_MS = 40;

const S = {
  session: null,
  welcome: null, // the last welcome (role, id, title, auction)
  role: null,
  id: null,
  snap: null, // the last snapshot's state object
  snapSeq: -1,
  pausedAt: null, // server time at which the current pause began (for a frozen countdown)
  lastPausedNoticeAt: null,
  bids: new Map(), // bid number -> {lot, supplier, total}: for describing requests
  feed: [], // newest first: {msg} or {local: key, at}
  answer: null, // {kind, text: () => string}
  everOpen: false,
  wasOpen: false,
  renderTimer: null,
  lastRender: 0,
  // Turn-based rounds, per lot, from the turn notices (the snapshot has the round and the turn's
  // number, not the order): {round, order: [ids or aliases] | null, turn, who}.
  turns: new Map(),
};


const isAuctioneer = () => S.role === 'auctioneer';
/** A practice auction (oefenveiling): never awarded; its bot suppliers bid by themselves. */
const isPractice = () => S.welcome?.mode === 'practice';
const isBot = (id) => isPractice() && typeof id === 'string' && id.startsWith('oefenbot-');
const botBadge = (id) => (isBot(id)
  ? el('span', { class: 'badge bot small-badge', 'data-testid': 'bot-badge' }, t('bot')) : null);
const isObserver = () => S.role === 'observer';
const readOnly = () => !isAuctioneer();
const connected = () => Boolean(S.session && S.session.status === 'open');

// ---------------------------------------------------------------------------------------------
// Helpers over the snapshot

function suppliers() {
  if (S.snap && Array.isArray(S.snap.connected)) return S.snap.connected;
  // Fallback: the ids that appear in the ladders.
  const seen = new Map();
  for (const lot of S.snap?.lots ?? []) {
    for (const r of lot.ladder ?? []) {
      if (r.supplier && !seen.has(r.supplier)) seen.set(r.supplier, { supplier: r.supplier, name: '', connections: null });
    }
  }
  return [...seen.values()];
}

function supplierName(id) {
  const s = suppliers().find((x) => x.supplier === id);
  return s && s.name ? s.name : '';
}

/** "alfa (Alfa Medical BV)" or just the id. */
function supplierLabel(id) {
  if (id === undefined || id === null) return '?';
  const name = supplierName(id);
  return name ? `${id} (${name})` : String(id);
}

function isDisqualified(id) {
  return Array.isArray(S.snap?.disqualified) && S.snap.disqualified.includes(id);
}

function lotById(id) {
  return (S.snap?.lots ?? []).find((l) => l.lot === id);
}

function phaseWord(phase) {
  return tOpt(`phase.${phase}`) || String(phase ?? '');
}

function rememberBids() {
  for (const lot of S.snap?.lots ?? []) {
    for (const r of lot.ladder ?? []) {
      if (typeof r.bid === 'number') S.bids.set(r.bid, { lot: lot.lot, supplier: r.supplier, total: r.total });
    }
  }
}

/** An action in words: `a` is the log form {op, lot, by_ms, bid, supplier, text}. */
function actionWords(a) {
  if (!a || typeof a !== 'object') return '';
  switch (a.op) {
    case 'extend':
      return t('act.extend', { lot: a.lot, s: typeof a.by_ms === 'number' ? a.by_ms / 1000 : '?' });
    case 'void': {
      const b = S.bids.get(a.bid);
      const detail = b
        ? t('act.voidDetail', { supplier: supplierLabel(b.supplier), lot: b.lot, total: fmtMoney(b.total) })
        : '';
      return t('act.void', { bid: a.bid, detail });
    }
    case 'disqualify':
      return t('act.disqualify', { supplier: supplierLabel(a.supplier) });
    case 'message':
      return t('act.message', { text: a.text ?? '' });
    case 'award':
      return t('act.award', { lot: a.lot });
    case 'pause': case 'resume': case 'terminate':
      return t(`act.${a.op}`);
    default:
      return String(a.op ?? '');
  }
}

// ---------------------------------------------------------------------------------------------
// Static texts, language

function applyStaticTexts() {
  document.title = isPractice() ? `${t('practicePrefix')}${t('pageTitle')}` : t('pageTitle');
  renderPractice();
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.getAttribute('data-i18n'));
  }
}

/** The practice banner at the top of the page, in the page's language. */
function renderPractice() {
  const box = $('practice-banner');
  const on = isPractice();
  document.body.dataset.mode = S.welcome?.mode ?? '';
  box.hidden = !on;
  const sig = on ? getLang() : '';
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.replaceChildren(...(on ? [el('strong', {}, t('practiceWord')), t('practiceBanner'), t('practiceBots')] : []));
}

function rerenderAll() {
  applyStaticTexts();
  renderStatus();
  renderWhoami();
  renderNow();
  renderFeed();
  renderAnswer();
  if ($('reason-dialog').open) updateReasonCount();
}

// ---------------------------------------------------------------------------------------------
// Connection status

const STATUS_CLASS = {
  'signed-out': 'badge warn',
  connecting: 'badge warn',
  open: 'badge ok',
  reconnecting: 'badge bad',
  failed: 'badge bad',
};

function currentStatus() {
  return S.session ? S.session.status : 'signed-out';
}

function renderStatus() {
  const status = currentStatus();
  const badge = $('conn-status');
  badge.dataset.status = status;
  badge.className = STATUS_CLASS[status] ?? 'badge warn';
  badge.textContent = t(`status.${status}`);
  $('sign-out').hidden = !S.session;
  updateControls();
  tick();
}

function renderWhoami() {
  const w = $('whoami');
  w.textContent = S.welcome ? t('whoami', { id: S.welcome.id, role: t(`role.${S.welcome.role}`) }) : '';
}

// ---------------------------------------------------------------------------------------------
// Sign-in and the session

function startSession(token) {
  stopSession();
  $('signin-error').textContent = '';
  S.session = new Session(token, {
    onStatus: (status, detail) => onStatus(status, detail),
    onWelcome: (w) => onWelcome(w, token),
    onMessage: (m) => onMessage(m),
    onClock: () => tick(),
  });
  renderStatus();
}

function stopSession() {
  if (S.session) S.session.stop();
  S.session = null;
}

function resetView() {
  S.welcome = null;
  S.role = null;
  S.id = null;
  S.snap = null;
  S.snapSeq = -1;
  S.pausedAt = null;
  S.lastPausedNoticeAt = null;
  S.bids.clear();
  S.turns.clear();
  S.feed = [];
  S.answer = null;
  S.everOpen = false;
  S.wasOpen = false;
  $('lots').replaceChildren();
  $('console').hidden = true;
  $('signin-section').hidden = false;
  applyStaticTexts();
  renderWhoami();
  renderFeed();
  renderAnswer();
}

function signOut() {
  stopSession();
  rememberToken(null);
  resetView();
  renderStatus();
  $('token').value = '';
  $('token').focus();
}

function onStatus(status, detail) {
  if (status === 'failed') {
    // The token was refused: back to the sign-in form.
    rememberToken(null);
    const session = S.session;
    resetView();
    $('signin-error').textContent = t('tokenRefused');
    $('conn-detail').textContent = detail ? String(detail) : '';
    S.session = session; // keep the failed status visible until the next sign-in
    renderStatus();
    return;
  }
  if (status === 'open') {
    $('conn-detail').textContent = '';
  }
  if (S.wasOpen && status !== 'open') {
    S.wasOpen = false;
    addLocal('ev.disconnected');
  }
  renderStatus();
}

function onWelcome(w, token) {
  if (w.role === 'supplier') {
    stopSession();
    rememberToken(null);
    resetView();
    renderStatus();
    $('signin-error').textContent = t('supplierToken');
    return;
  }
  rememberToken(token);
  const again = S.everOpen;
  S.welcome = w;
  S.role = w.role;
  S.id = w.id;
  S.everOpen = true;
  S.wasOpen = true;
  if (again) addLocal(w.resumed === 'snapshot_only' ? 'ev.snapshotOnly' : 'ev.reconnected');
  $('signin-error').textContent = '';
  $('signin-section').hidden = true;
  $('console').hidden = false;
  applyStaticTexts(); // the title and the practice banner follow the auction's mode
  $('auction-title').textContent = w.title ?? '';
  $('auction-id').textContent = w.auction ? `(${w.auction})` : '';
  // Every lot section is built afresh for the (possibly new) role.
  $('lots').replaceChildren();
  applySnapshot(w.state, w.seq);
  renderWhoami();
  renderNow();
}

function applySnapshot(state, seq) {
  if (!state || typeof state !== 'object') return;
  S.snap = state;
  S.snapSeq = typeof seq === 'number' ? seq : S.snapSeq;
  if (state.phase === 'paused') {
    if (S.pausedAt === null) S.pausedAt = S.lastPausedNoticeAt ?? S.session?.serverNow() ?? Date.now();
  } else {
    S.pausedAt = null;
  }
  rememberBids();
}

function onMessage(m) {
  switch (m.type) {
    case 'state':
      applySnapshot(m.state, m.seq);
      scheduleRender();
      return;
    case 'error':
      if (m.req_id === 'auth') {
        // too_many_connections or overloaded at sign-in: the session retries.
        $('conn-detail').textContent = `[${m.code}] ${m.message ?? ''}`;
      }
      return;
    case 'pong': case 'done': case 'rejected': case 'accepted': case 'welcome':
      return; // answers are handled where the request was made
    default:
      break;
  }
  if (typeof m.seq !== 'number' || m.req_id !== undefined) return;
  onNotice(m);
}

/** Turn-based rounds: remember the order and whose turn it is, from a `turn` notice. */
function noteTurn(m) {
  if (typeof m.lot !== 'string' || typeof m.round !== 'number') return;
  let tt = S.turns.get(m.lot);
  if (m.phase === 'round_opened' || !tt || tt.round !== m.round) {
    tt = { round: m.round, order: null, turn: null, who: null };
    S.turns.set(m.lot, tt);
  }
  if (m.phase === 'round_opened' && Array.isArray(m.order)) tt.order = m.order.map(String);
  if (m.phase === 'started' && typeof m.turn === 'number') {
    tt.turn = m.turn;
    tt.who = m.supplier ?? m.alias ?? null;
  }
}

/** Turn-based rounds: who has turn `k` of the lot's round (null: not known on this page). */
function turnHolder(lotId, round, k) {
  const tt = S.turns.get(lotId);
  if (!tt || tt.round !== round || typeof k !== 'number') return null;
  if (Array.isArray(tt.order) && tt.order[k - 1] !== undefined) return tt.order[k - 1];
  return tt.turn === k ? tt.who : null;
}

function whoLabel(id) {
  return isObserver() ? String(id) : supplierLabel(id);
}

function onNotice(m) {
  if (m.type === 'turn') {
    noteTurn(m);
    scheduleRender();
  }
  if (m.type === 'bid' && typeof m.seq === 'number' && m.supplier) {
    S.bids.set(m.seq, { lot: m.lot, supplier: m.supplier, total: m.total });
  }
  if (m.type === 'paused' && typeof m.at === 'number') {
    S.lastPausedNoticeAt = m.at;
    if (S.snap?.phase === 'paused') S.pausedAt = m.at;
  }
  // Only notices newer than the snapshot change what is shown; older ones (after a resume)
  // are history already in it.
  if (S.snap && m.seq > S.snapSeq) {
    const pending = Array.isArray(S.snap.pending) ? S.snap.pending : null;
    if (pending && m.type === 'request' && !pending.some((p) => p.request === m.seq)) {
      pending.push({ request: m.seq, at: m.at, by: m.by, action: m.action, reason: m.reason });
      scheduleRender();
    }
    if (pending && m.type === 'request_settled') {
      S.snap.pending = pending.filter((p) => p.request !== m.request);
      scheduleRender();
    }
  }
  S.feed.unshift({ msg: m });
  if (S.feed.length > FEED_MAX) S.feed.length = FEED_MAX;
  prependFeedItem(S.feed[0]);
}

function addLocal(key) {
  const entry = { local: key, at: S.session ? S.session.serverNow() : Date.now() };
  S.feed.unshift(entry);
  if (S.feed.length > FEED_MAX) S.feed.length = FEED_MAX;
  prependFeedItem(entry);
}

// ---------------------------------------------------------------------------------------------
// Rendering the snapshot

function scheduleRender() {
  if (S.renderTimer) return;
  const wait = Math.max(0, S.lastRender + RENDER_GAP_MS - Date.now());
  S.renderTimer = setTimeout(() => {
    S.renderTimer = null;
    renderNow();
  }, wait);
}

/**
 * Rebuild the contents of `container` with `build()`, keeping the keyboard focus on the
 * equivalent element (same data-testid and key attributes) when it was inside.
 */
function keepFocus(container, build) {
  const active = document.activeElement;
  let key = null;
  if (active && container.contains(active) && active !== container) {
    key = {
      testid: active.getAttribute('data-testid'),
      bid: active.getAttribute('data-bid'),
      request: active.getAttribute('data-request'),
    };
  }
  build();
  if (key && key.testid && !container.contains(document.activeElement)) {
    const sel = [`[data-testid="${key.testid}"]`];
    if (key.bid) sel.push(`[data-bid="${key.bid}"]`);
    if (key.request) sel.push(`[data-request="${key.request}"]`);
    const again = container.querySelector(sel.join(''));
    if (again && !again.disabled) again.focus();
  }
}

function renderNow() {
  if (S.renderTimer) {
    clearTimeout(S.renderTimer);
    S.renderTimer = null;
  }
  S.lastRender = Date.now();
  if (!S.snap || !S.welcome) return;
  const snap = S.snap;

  // Auction phase and read-only notice.
  const phase = $('auction-phase');
  phase.textContent = phaseWord(snap.phase);
  phase.dataset.phase = snap.phase ?? '';
  phase.className = `badge ${phaseClass(snap.phase)}`;
  const ro = $('readonly');
  ro.hidden = !readOnly();
  ro.textContent = isObserver() ? t('readonlyObserver') : readOnly() ? t('readonlyAuditor') : '';

  // Sections an observer does not get.
  $('controls').hidden = readOnly();
  $('pending-section').hidden = isObserver();
  $('presence-section').hidden = isObserver();

  renderDisqualifySelect();
  renderPending();
  renderPresence();
  renderLots();
  updateControls();
  updateScrollFocus();
  tick();
}

function phaseClass(phase) {
  switch (phase) {
    case 'open': return 'ok';
    case 'paused': case 'scheduled': return 'warn';
    case 'terminated': return 'bad';
    default: return 'neutral';
  }
}

function renderDisqualifySelect() {
  const select = $('disqualify-supplier');
  const list = suppliers();
  const sig = getLang() + '|' + list.map((s) => `${s.supplier}:${s.name}:${isDisqualified(s.supplier)}:${isBot(s.supplier)}`).join(',');
  if (select.dataset.sig === sig) return;
  const value = select.value;
  select.replaceChildren(
    el('option', { value: '' }, t('disqChoose')),
    ...list.map((s) => el('option', { value: s.supplier },
      `${s.supplier}${isBot(s.supplier) ? ` ${t('botOption')}` : ''}${s.name ? ` — ${s.name}` : ''}${isDisqualified(s.supplier) ? ` (${t('disqualified')})` : ''}`)),
  );
  select.value = list.some((s) => s.supplier === value) ? value : '';
  select.dataset.sig = sig;
}

function renderPending() {
  const table = $('pending');
  const tbody = table.tBodies[0];
  const list = Array.isArray(S.snap.pending) ? [...S.snap.pending] : [];
  list.sort((a, b) => a.request - b.request);
  keepFocus(tbody, () => {
    if (list.length === 0) {
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, t('pendingEmpty'))));
      return;
    }
    tbody.replaceChildren(...list.map((p) => {
      const own = isAuctioneer() && p.by === S.id;
      const hintId = `own-${p.request}`;
      const approve = el('button', {
        type: 'button', 'data-testid': 'approve', 'data-request': p.request,
        disabled: readOnly() || own || !connected(), hidden: readOnly(),
        'aria-describedby': own ? hintId : null,
        onclick: () => approveRequest(p),
      }, t('approve'), el('span', { class: 'visually-hidden' }, ` #${p.request}`));
      const decline = el('button', {
        type: 'button', class: 'secondary', 'data-testid': 'decline', 'data-request': p.request,
        disabled: readOnly() || !connected(), hidden: readOnly(),
        onclick: () => declineRequest(p, own),
      }, own ? t('withdraw') : t('decline'), el('span', { class: 'visually-hidden' }, ` #${p.request}`));
      return el('tr', { 'data-testid': `pending-${p.request}`, 'data-request': p.request },
        el('th', { scope: 'row', class: 'num' }, `#${p.request}`),
        el('td', {}, p.by ?? ''),
        el('td', {}, el('time', { datetime: new Date(p.at).toISOString(), title: fmtTime(p.at) }, fmtClock(p.at))),
        el('td', {}, actionWords(p.action)),
        el('td', { class: 'reason' }, p.reason ?? ''),
        el('td', { class: 'decision' },
          el('div', { class: 'row tight' }, approve, decline),
          own ? el('p', { id: hintId, class: 'muted small' }, t('ownRequest')) : null,
          readOnly() && !isObserver() ? el('span', { class: 'muted' }, '—') : null));
    }));
  });
}

function renderPresence() {
  const tbody = $('presence').tBodies[0];
  const list = suppliers();
  if (list.length === 0) {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: 4, class: 'muted' }, t('presenceNone'))));
    return;
  }
  tbody.replaceChildren(...list.map((s) => {
    const n = typeof s.connections === 'number' ? s.connections : null;
    const online = n !== null && n > 0;
    const disq = isDisqualified(s.supplier);
    return el('tr', { 'data-testid': `presence-${s.supplier}`, 'data-connections': n ?? '', 'data-bot': isBot(s.supplier) ? 'true' : null },
      el('th', { scope: 'row' }, el('span', { class: 'mono' }, s.supplier), botBadge(s.supplier)),
      el('td', {}, s.name ?? ''),
      el('td', {}, isBot(s.supplier) ? el('span', { class: 'badge bot' }, t('botPresence'))
        : n === null ? '—'
          : el('span', { class: online ? 'badge ok' : 'badge neutral', 'data-online': online ? 'true' : 'false' },
            online ? t('online', { n }) : t('offline'))),
      el('td', {}, el('span', { class: disq ? 'badge bad' : 'badge neutral' }, disq ? t('disqualified') : t('active'))));
  }));
}

// One persistent section per lot, so that the extend input keeps what the user typed.
function lotSection(lot) {
  const id = `lot-${lot.lot}`;
  let sec = document.getElementById(id);
  if (sec) return sec;
  const hId = `h-${id}`;
  const extId = `extend-${lot.lot}`;
  const awardHintId = `award-hint-${lot.lot}`;
  sec = el('section', { class: 'card lot', id, 'data-testid': id, 'aria-labelledby': hId },
    el('h3', { id: hId },
      el('span', { class: 'lot-title' }), ' ',
      el('span', { class: 'badge lot-phase' })),
    el('dl', { class: 'facts' },
      el('div', { class: 'fact countdown-fact' },
        el('dt', { class: 'countdown-label' }),
        el('dd', {},
          el('span', { class: 'countdown', 'data-testid': 'deadline' }),
          ' ',
          el('span', { class: 'countdown-note muted' }))),
      el('div', { class: 'fact' }, el('dt', { class: 'deadline-label' }), el('dd', { class: 'deadline-at' })),
      el('div', { class: 'fact' }, el('dt', { class: 'hard-close-label' }), el('dd', { class: 'hard-close' })),
      el('div', { class: 'fact' }, el('dt', { class: 'ext-label' }),
        el('dd', {}, el('span', { 'data-testid': 'extensions-used', class: 'extensions-used' }))),
      el('div', { class: 'fact bids-fact' }, el('dt', { class: 'bids-label' }),
        el('dd', { class: 'bids-count' },
          el('span', { 'data-testid': 'bids-accepted', class: 'bids-accepted', hidden: true }),
          el('span', { 'data-testid': 'bids-voided', class: 'bids-voided', hidden: true }),
          el('span', { class: 'bids-text' }))),
      el('div', { class: 'fact' }, el('dt', { class: 'ceiling-label' }), el('dd', { class: 'ceiling' })),
      el('div', { class: 'fact offered-fact' }, el('dt', { class: 'offered-label' }),
        el('dd', { class: 'offered', 'data-testid': 'offered-price' })),
      el('div', { class: 'fact turn-fact', hidden: true }, el('dt', { class: 'turn-round-label' }),
        el('dd', { class: 'turn-round', 'data-testid': 'turn-round' })),
      el('div', { class: 'fact turn-fact turn-now-fact', hidden: true }, el('dt', { class: 'turn-now-label' }),
        el('dd', {}, el('span', { class: 'turn-now', 'data-testid': 'turn-now' }), ' ',
          el('span', { class: 'turn-left muted' }))),
      el('div', { class: 'fact turn-fact turn-order-fact', hidden: true }, el('dt', { class: 'turn-order-label' }),
        el('dd', {}, el('ol', { class: 'turn-order', 'data-testid': 'turn-order' })))),
    el('div', { class: 'lot-controls' }, el('div', { class: 'row' },
      el('div', {},
        el('label', { for: extId, class: 'extend-label' }),
        el('input', {
          id: extId, type: 'number', min: 1, max: 86400, step: 1, value: 60, inputmode: 'numeric',
          'data-testid': 'extend-seconds', class: 'extend-seconds',
          onkeydown: (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); extendLot(lot.lot); } },
        })),
      el('button', { type: 'button', 'data-testid': 'extend', class: 'extend', onclick: () => extendLot(lot.lot) }),
      el('button', {
        type: 'button', 'data-testid': 'award', class: 'award', 'aria-describedby': awardHintId,
        onclick: () => awardLot(lot.lot),
      }),
      el('p', { id: awardHintId, class: 'muted small award-hint', 'data-testid': 'award-hint' }))),
    el('p', { class: 'award-result' }),
    // Focusable while the table is wider than the screen, to scroll it with the keyboard.
    el('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': `cap-${lot.lot}` },
      el('table', { 'data-testid': 'ladder', class: 'ladder' },
        el('caption', { class: 'visually-hidden', id: `cap-${lot.lot}` }),
        el('thead'), el('tbody'))));
  $('lots').append(sec);
  return sec;
}

function renderLots() {
  const lots = S.snap.lots ?? [];
  const keep = new Set(lots.map((l) => `lot-${l.lot}`));
  for (const sec of [...$('lots').children]) if (!keep.has(sec.id)) sec.remove();
  for (const lot of lots) renderLot(lot);
}

function renderLot(lot) {
  const sec = lotSection(lot);
  const q = (sel) => sec.querySelector(sel);
  sec.dataset.phase = lot.phase ?? '';
  sec.dataset.paused = lot.paused ? 'true' : 'false';
  q('.lot-title').textContent = t('lotHeading', { lot: lot.lot, name: lot.name ?? '' });
  const badge = q('.lot-phase');
  const shownPhase = lot.paused ? 'paused' : lot.phase;
  badge.textContent = phaseWord(shownPhase);
  badge.className = `badge lot-phase ${phaseClass(shownPhase)}`;

  q('.countdown-label').textContent = lot.phase === 'scheduled' ? t('opensIn') : t('remaining');
  if (lot.phase === 'scheduled' && typeof lot.opens_at === 'number') {
    q('.deadline-label').textContent = t('opensAt');
    setTime(q('.deadline-at'), lot.opens_at);
  } else {
    q('.deadline-label').textContent = t('closesAt');
    setTime(q('.deadline-at'), lot.deadline);
  }
  q('.hard-close-label').textContent = t('hardClose');
  // Observers are not told the hard close; before the opening nobody knows it yet.
  q('.hard-close').parentElement.hidden = isObserver();
  if (typeof lot.hard_close === 'number') setTime(q('.hard-close'), lot.hard_close);
  else q('.hard-close').textContent = lot.phase === 'scheduled' ? '—' : t('none');
  q('.ext-label').textContent = t('extensionsUsed');
  q('.extensions-used').textContent = String(lot.extensions_used ?? 0);
  q('.bids-label').textContent = t('bidsLabel');
  // Observers get no bid counts.
  q('.bids-fact').hidden = typeof lot.bids_accepted !== 'number';
  q('.bids-accepted').textContent = String(lot.bids_accepted ?? '');
  q('.bids-voided').textContent = String(lot.bids_voided ?? '');
  q('.bids-text').textContent = t('bidsCount', { accepted: lot.bids_accepted ?? 0, voided: lot.bids_voided ?? 0 });
  q('.ceiling-label').textContent = t('ceiling');
  // A Dutch auction: the price the lot offers now.
  const offered = typeof lot.offered_price === 'string' ? lot.offered_price : null;
  q('.offered-fact').hidden = !offered;
  q('.offered-label').textContent = t('offeredPrice');
  q('.offered').textContent = offered ? fmtMoney(offered) : '';
  q('.ceiling').textContent = fmtMoney(lot.ceiling);
  renderTurn(sec, lot);

  // Controls.
  q('.extend-label').textContent = t('extendLabel');
  const extendBtn = q('.extend');
  extendBtn.replaceChildren(t('extend'), el('span', { class: 'visually-hidden' }, ` ${lot.lot}`));
  const awardBtn = q('.award');
  awardBtn.replaceChildren(t('award'), el('span', { class: 'visually-hidden' }, ` ${lot.lot}`));
  awardBtn.className = lot.phase === 'closed' ? 'award' : 'award secondary';
  const hint = q('.award-hint');
  hint.textContent = isPractice() ? t('awardPractice')
    : lot.phase === 'closed' || lot.phase === 'awarded' || lot.phase === 'terminated' ? '' : t('awardHint');
  hint.classList.toggle('practice-hint', isPractice());
  q('.lot-controls').hidden = readOnly();

  // The award.
  const res = q('.award-result');
  const award = lot.award;
  if (award && typeof award === 'object') {
    const winners = (award.winners ?? []).map((w) => winnerText(w));
    let text = winners.length ? t('awardedTo', { winners: winners.join('; ') }) : t('awardedNone');
    if (award.reserve_met === true) text += ` ${t('reserveMet')}`;
    if (award.reserve_met === false) text += ` ${t('reserveNotMet')}`;
    res.textContent = text;
    res.className = 'award-result notice ok';
    res.hidden = false;
  } else if (isObserver() && typeof lot.reserve_met === 'boolean') {
    res.textContent = lot.reserve_met ? t('reserveMet') : t('reserveNotMet');
    res.className = 'award-result notice ok';
    res.hidden = false;
  } else {
    res.hidden = true;
    res.textContent = '';
  }

  renderLadder(sec, lot);
}

/** Turn-based rounds: the round, whose turn it is and until when, and the round's order. */
function renderTurn(sec, lot) {
  const q = (sel) => sec.querySelector(sel);
  const turn = lot.phase === 'open' && lot.turn && typeof lot.turn === 'object' ? lot.turn : null;
  for (const f of sec.querySelectorAll('.turn-fact')) f.hidden = !turn;
  const nowDd = q('.turn-now');
  if (!turn) {
    nowDd.removeAttribute('data-supplier');
    return;
  }
  q('.turn-round-label').textContent = t('turnRoundLabel');
  q('.turn-round').textContent = t('turnRoundValue', { round: turn.round, rounds: turn.rounds });
  q('.turn-now-label').textContent = t('turnNowLabel');
  const running = typeof turn.turn === 'number';
  const holder = running ? turnHolder(lot.lot, turn.round, turn.turn) : null;
  if (!running) nowDd.textContent = t('turnPause', { time: fmtClock(turn.starts_at) });
  else if (holder !== null) {
    nowDd.textContent = t('turnNow', { turn: turn.turn, turns: turn.turns, who: whoLabel(holder), time: fmtClock(turn.ends_at) });
  } else nowDd.textContent = t('turnNowUnknown', { turn: turn.turn, turns: turn.turns, time: fmtClock(turn.ends_at) });
  if (holder !== null) nowDd.dataset.supplier = holder;
  else nowDd.removeAttribute('data-supplier');
  q('.turn-order-label').textContent = t('turnOrderLabel');
  const tt = S.turns.get(lot.lot);
  const order = tt && tt.round === turn.round && Array.isArray(tt.order) ? tt.order : null;
  const list = q('.turn-order');
  const k = running ? turn.turn : 0;
  const sig = `${getLang()}|${turn.round}|${k}|${order ? order.join(',') : '?'}`;
  if (list.dataset.sig === sig) return;
  list.dataset.sig = sig;
  if (!order) {
    list.replaceChildren(el('li', { class: 'muted unknown' }, t('turnOrderUnknown')));
    return;
  }
  list.replaceChildren(...order.map((id, i) => {
    const state = i + 1 < k ? 'done' : i + 1 === k ? 'now' : 'waiting';
    return el('li', { class: `turn-${state}`, 'data-supplier': id, 'data-state': state },
      el('span', { class: 'mono' }, id),
      state === 'now' ? el('strong', {}, ` — ${t('turnOrderNow')}`)
        : state === 'done' ? el('span', { class: 'muted' }, ` (${t('turnOrderDone')})`) : null);
  }));
}

function winnerText(w) {
  const who = w.supplier !== undefined ? supplierLabel(w.supplier) : (w.alias ?? '?');
  return `#${w.rank} ${who}, ${fmtMoney(w.total)}${typeof w.bid === 'number' ? ` (${t('colBid').toLowerCase()} ${w.bid})` : ''}`;
}

function setTime(node, ms) {
  if (typeof ms !== 'number') {
    node.textContent = '—';
    return;
  }
  node.replaceChildren(el('time', { datetime: new Date(ms).toISOString(), title: fmtTime(ms) }, fmtClock(ms)));
}

function renderLadder(sec, lot) {
  const table = sec.querySelector('table.ladder');
  table.caption.textContent = t('ladderLabel', { lot: lot.lot });
  const lines = Array.isArray(lot.lines) ? lot.lines : [];
  const observer = isObserver();
  const showVoid = !readOnly();
  const head = el('tr', {},
    el('th', { scope: 'col', class: 'num' }, t('colRank')),
    el('th', { scope: 'col' }, observer ? t('colAlias') : t('colSupplier')),
    observer ? null : el('th', { scope: 'col', class: 'num' }, t('colBid')),
    el('th', { scope: 'col' }, t('colTime')),
    el('th', { scope: 'col', class: 'num' }, t('colTotal')),
    el('th', { scope: 'col', class: 'num' }, t('colScore')),
    ...(observer ? [] : lines.map((l) => el('th', { scope: 'col', class: 'num' },
      t('colLine', { description: l.description ?? l.id, unit: l.unit ?? '', quantity: fmtNumber(l.quantity) })))),
    showVoid ? el('th', { scope: 'col' }, t('colVoid')) : null);
  table.tHead.replaceChildren(head);
  const ncols = head.children.length;
  const tbody = table.tBodies[0];
  const ladder = Array.isArray(lot.ladder) ? lot.ladder : [];
  const finished = lot.phase === 'awarded' || lot.phase === 'terminated';
  keepFocus(tbody, () => {
    if (ladder.length === 0) {
      // A sealed bid shows no ladder until the lot closes, however many bids came in.
      const sealed = S.welcome?.format === 'sealed_bid' && ['scheduled', 'open'].includes(lot.phase);
      const counted = typeof lot.bids_accepted === 'number';
      const text = !sealed ? t('ladderEmpty')
        : counted ? t('ladderSealed', { n: lot.bids_accepted }) : t('ladderSealedObserver');
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: ncols, class: 'muted' }, text)));
      return;
    }
    tbody.replaceChildren(...ladder.map((r) => {
      const who = observer ? (r.alias ?? '') : r.supplier;
      const voidBtn = el('button', {
        type: 'button', class: 'danger small-button', 'data-testid': 'void', 'data-bid': r.bid,
        disabled: readOnly() || finished || !connected(), hidden: readOnly(),
        onclick: () => voidBid(lot, r),
      }, t('void'), el('span', { class: 'visually-hidden' }, t('voidHidden', { bid: r.bid, supplier: who })));
      const whoCell = observer
        ? el('td', {}, el('span', { class: 'mono' }, who))
        : el('td', {}, el('span', { class: 'mono' }, who), botBadge(who),
          supplierName(who) ? el('span', { class: 'muted' }, ` ${supplierName(who)}`) : null,
          isDisqualified(who) ? el('span', { class: 'badge bad small-badge' }, t('disqualified')) : null);
      return el('tr', {
        'data-testid': 'ladder-row', 'data-bid': r.bid, 'data-supplier': observer ? null : r.supplier,
        'data-bot': isBot(r.supplier) ? 'true' : null,
        'data-alias': observer ? r.alias : null, 'data-rank': r.rank,
      },
      el('th', { scope: 'row', class: 'num' }, String(r.rank ?? '')),
      whoCell,
      observer ? null : el('td', { class: 'num' }, String(r.bid ?? '')),
      el('td', {}, el('time', { datetime: new Date(r.at).toISOString(), title: fmtTime(r.at) }, fmtClock(r.at))),
      el('td', { class: 'num' }, fmtMoney(r.total)),
      el('td', { class: 'num' }, fmtNumber(r.score)),
      ...(observer ? [] : lines.map((_, i) => el('td', { class: 'num' },
        Array.isArray(r.lines) && r.lines[i] !== undefined ? fmtMoney(r.lines[i]) : '—'))),
      showVoid ? el('td', {}, voidBtn) : (observer ? null : el('td', { hidden: true }, voidBtn)));
    }));
  });
}

/** A table wrapper that scrolls sideways must be reachable with the keyboard. */
function updateScrollFocus() {
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute('tabindex')) wrap.setAttribute('tabindex', '0');
    if (!scrolls && wrap.hasAttribute('tabindex') && document.activeElement !== wrap) wrap.removeAttribute('tabindex');
  }
}

/** Enable or disable the controls after a status or snapshot change. */
function updateControls() {
  const ro = readOnly();
  const off = ro || !connected();
  const finished = S.snap && (S.snap.phase === 'awarded' || S.snap.phase === 'terminated');
  for (const id of ['pause', 'resume', 'message-send', 'disqualify', 'terminate']) {
    const b = $(id);
    b.disabled = off || Boolean(finished);
    b.hidden = ro;
  }
  $('message-text').disabled = ro;
  $('disqualify-supplier').disabled = ro;
  for (const sec of $('lots').children) {
    const phase = sec.dataset.phase;
    const lotDone = phase === 'awarded' || phase === 'terminated';
    for (const b of sec.querySelectorAll('button.extend, button.award')) {
      // A practice auction is never awarded (the server refuses with `practice`).
      b.disabled = off || lotDone || (isPractice() && b.classList.contains('award'));
      b.hidden = ro;
    }
    const input = sec.querySelector('input.extend-seconds');
    if (input) input.disabled = ro;
    for (const b of sec.querySelectorAll('button[data-testid="void"]')) {
      b.disabled = off || lotDone;
    }
  }
  for (const b of document.querySelectorAll('#pending button[data-testid="approve"]')) {
    const own = isAuctioneer() && b.closest('tr')?.querySelector('[id^="own-"]');
    b.disabled = off || Boolean(own);
  }
  for (const b of document.querySelectorAll('#pending button[data-testid="decline"]')) {
    b.disabled = off;
  }
}

// ---------------------------------------------------------------------------------------------
// Countdowns

function tick() {
  if (!S.snap) return;
  const now = S.session ? S.session.serverNow() : Date.now();
  const online = connected();
  for (const lot of S.snap.lots ?? []) {
    const sec = document.getElementById(`lot-${lot.lot}`);
    if (!sec) continue;
    const cd = sec.querySelector('[data-testid="deadline"]');
    const note = sec.querySelector('.countdown-note');
    let state;
    let text;
    if (lot.phase === 'closed' || lot.phase === 'awarded' || lot.phase === 'terminated') {
      state = 'closed';
      text = phaseWord(lot.phase);
    } else if (lot.phase === 'scheduled') {
      state = online ? 'scheduled' : 'disconnected';
      text = typeof lot.opens_at === 'number' ? fmtCountdown(lot.opens_at - now) : '—';
    } else if (lot.paused || S.snap.phase === 'paused') {
      state = online ? 'paused' : 'disconnected';
      const at = S.pausedAt ?? now;
      text = typeof lot.deadline === 'number' ? fmtCountdown(lot.deadline - at) : '—';
    } else {
      state = online ? 'running' : 'disconnected';
      text = typeof lot.deadline === 'number' ? fmtCountdown(lot.deadline - now) : '—';
    }
    if (cd.textContent !== text) cd.textContent = text;
    cd.dataset.state = state;
    cd.classList.toggle('disconnected', state === 'disconnected');
    cd.classList.toggle('paused', state === 'paused');
    cd.classList.toggle('closed', state === 'closed');
    const noteText = tOpt(`note.${state}`);
    if (note.textContent !== noteText) note.textContent = noteText;
    // Turn-based rounds: the time left in the running turn (or the pause).
    const left = sec.querySelector('.turn-left');
    const turn = lot.phase === 'open' && lot.turn && typeof lot.turn === 'object' ? lot.turn : null;
    const end = turn ? (typeof turn.turn === 'number' ? turn.ends_at : turn.starts_at) : null;
    const frozen = lot.paused || S.snap.phase === 'paused';
    const leftText = typeof end === 'number'
      ? t('turnLeft', { time: fmtCountdown(end - (frozen ? (S.pausedAt ?? now) : now)) }) : '';
    if (left && left.textContent !== leftText) left.textContent = leftText;
  }
}

// ---------------------------------------------------------------------------------------------
// The reason dialog

let reasonResolve = null;
let reasonOpener = null;

/** Ask for a reason in the modal dialog: resolves with the trimmed text, or null on cancel. */
function askReason(title, description) {
  const dlg = $('reason-dialog');
  if (dlg.open) return Promise.resolve(null);
  $('reason-title').textContent = title;
  $('reason-desc').textContent = description ?? '';
  $('reason-input').value = '';
  $('reason-error').textContent = '';
  $('reason-input').removeAttribute('aria-invalid');
  updateReasonCount();
  reasonOpener = document.activeElement;
  dlg.showModal();
  $('reason-input').focus();
  return new Promise((resolve) => { reasonResolve = resolve; });
}

function finishReason(value) {
  const dlg = $('reason-dialog');
  const resolve = reasonResolve;
  reasonResolve = null;
  if (dlg.open) dlg.close();
  const opener = reasonOpener;
  reasonOpener = null;
  if (opener && document.contains(opener) && typeof opener.focus === 'function') opener.focus();
  if (resolve) resolve(value);
}

function updateReasonCount() {
  $('reason-count').textContent = t('reasonCount', { n: [...$('reason-input').value].length });
}

function bindReasonDialog() {
  const dlg = $('reason-dialog');
  $('reason-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = $('reason-input').value.trim();
    if (!value) {
      $('reason-error').textContent = t('reasonRequired');
      $('reason-input').setAttribute('aria-invalid', 'true');
      $('reason-input').focus();
      return;
    }
    finishReason(value);
  });
  $('reason-cancel').addEventListener('click', () => finishReason(null));
  dlg.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    finishReason(null);
  });
  dlg.addEventListener('close', () => {
    if (reasonResolve) finishReason(null);
  });
  $('reason-input').addEventListener('input', () => {
    updateReasonCount();
    if ($('reason-input').value.trim()) {
      $('reason-error').textContent = '';
      $('reason-input').removeAttribute('aria-invalid');
    }
  });
  $('reason-input').addEventListener('keydown', (ev) => {
    // Enter confirms; Shift+Enter starts a new line.
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $('reason-form').requestSubmit();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Answers

function setAnswer(kind, text) {
  S.answer = kind === null && text === null ? null : { kind, text };
  renderAnswer();
}

function renderAnswer() {
  const box = $('answer');
  const a = S.answer;
  if (!a) {
    box.removeAttribute('data-kind');
    box.className = 'answer';
    box.textContent = '';
    return;
  }
  if (a.kind) box.dataset.kind = a.kind;
  else box.removeAttribute('data-kind');
  const cls = { done: 'ok', pending: 'warn', rejected: 'bad', error: 'bad' }[a.kind] ?? 'info';
  box.className = `answer notice ${cls}`;
  box.textContent = a.text();
}

/** Send an auctioneer command and show its answer. `what` describes it in words (a function). */
async function send(msg, what) {
  if (!S.session || !connected()) {
    setAnswer('error', () => t('answerLocal', { what: what(), message: t('notConnected') }));
    return null;
  }
  setAnswer(null, () => t('sending'));
  let ans;
  try {
    ans = await S.session.request(msg);
  } catch (e) {
    setAnswer('error', () => t('answerLocal', {
      what: what(), message: e && e.message === 'not connected' ? t('notConnected') : t('lostAnswer'),
    }));
    return null;
  }
  if (ans.type === 'done') {
    if (ans.pending) setAnswer('pending', () => t('answerPending', { what: what(), seq: ans.seq }));
    else setAnswer('done', () => t('answerDone', { what: what(), seq: ans.seq }));
  } else if (ans.type === 'rejected') {
    setAnswer('rejected', () => t('answerRejected', {
      what: what(), code: ans.reason, hint: tOpt(`why.${ans.reason}`), message: ans.message ?? '',
    }));
  } else if (ans.type === 'error') {
    const retry = typeof ans.retry_after_ms === 'number' ? ` (retry_after_ms ${ans.retry_after_ms})` : '';
    const hint = ans.code === 'practice' ? `${t('awardPractice')} ` : '';
    setAnswer('error', () => t('answerError', { what: what(), code: ans.code, message: hint + (ans.message ?? '') + retry }));
  } else {
    setAnswer('error', () => t('answerError', { what: what(), code: ans.type, message: '' }));
  }
  return ans;
}

function localError(what, key) {
  setAnswer('error', () => t('answerLocal', { what: what(), message: t(key) }));
}

/** Ask for the reason, then send `act`. */
async function act(action, fields, what, dlgTitle, dlgDesc) {
  if (readOnly()) return null;
  const reason = await askReason(dlgTitle(), dlgDesc());
  if (reason === null) return null;
  return send({ type: 'act', action, reason, ...fields }, what);
}

// ---------------------------------------------------------------------------------------------
// The controls

function pauseAuction() {
  act('pause', {}, () => t('act.pause'), () => t('dlg.pause'), () => t('dlgd.pause'));
}

function resumeAuction() {
  act('resume', {}, () => t('act.resume'), () => t('dlg.resume'), () => t('dlgd.resume'));
}

function terminateAuction() {
  act('terminate', {}, () => t('act.terminate'), () => t('dlg.terminate'), () => t('dlgd.terminate'));
}

async function sendMessage() {
  const text = $('message-text').value;
  const what = () => t('act.message', { text: shorten(text) });
  if (!text.trim()) {
    localError(() => t('messageHeading'), 'needText');
    $('message-text').focus();
    return;
  }
  const ans = await act('message', { text }, what, () => t('dlg.message'), () => t('dlgd.message', { text }));
  if (ans && ans.type === 'done' && $('message-text').value === text) $('message-text').value = '';
}

function disqualifySupplier() {
  const supplier = $('disqualify-supplier').value;
  if (!supplier) {
    localError(() => t('disqHeading'), 'needSupplier');
    $('disqualify-supplier').focus();
    return;
  }
  const what = () => t('act.disqualify', { supplier: supplierLabel(supplier) });
  act('disqualify', { supplier }, what, () => t('dlg.disqualify'), () => t('dlgd.disqualify', { action: what() }));
}

function extendLot(lotId) {
  const sec = document.getElementById(`lot-${lotId}`);
  const raw = sec.querySelector('input.extend-seconds').value.trim();
  const what = () => t('act.extend', { lot: lotId, s: raw || '?' });
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    localError(what, 'needSeconds');
    sec.querySelector('input.extend-seconds').focus();
    return;
  }
  const by_s = Number(raw);
  act('extend', { lot: lotId, by_s }, what, () => t('dlg.extend', { lot: lotId }),
    () => t('dlgd.extend', { lot: lotId, s: by_s }));
}

function awardLot(lotId) {
  const what = () => t('act.award', { lot: lotId });
  const first = () => {
    const lot = lotById(lotId);
    const r = lot?.ladder?.[0];
    return r ? `${supplierLabel(r.supplier)}, ${fmtMoney(r.total)}` : t('nobody');
  };
  act('award', { lot: lotId }, what, () => t('dlg.award', { lot: lotId }), () => t('dlgd.award', { lot: lotId, first: first() }));
}

function voidBid(lot, row) {
  S.bids.set(row.bid, { lot: lot.lot, supplier: row.supplier, total: row.total });
  const what = () => t('act.void', {
    bid: row.bid,
    detail: t('act.voidDetail', { supplier: supplierLabel(row.supplier), lot: lot.lot, total: fmtMoney(row.total) }),
  });
  act('void', { bid: row.bid }, what, () => t('dlg.void'), () => t('dlgd.void', { action: what() }));
}

function approveRequest(p) {
  if (readOnly()) return;
  send({ type: 'approve', request: p.request }, () => t('act.approve', { n: p.request }));
}

async function declineRequest(p, own) {
  if (readOnly()) return;
  const reason = await askReason(
    own ? t('dlg.withdraw', { n: p.request }) : t('dlg.decline', { n: p.request }),
    t('dlgd.decline', { by: p.by, action: actionWords(p.action) }));
  if (reason === null) return;
  send({ type: 'decline', request: p.request, reason }, () => t('act.decline', { n: p.request }));
}

function shorten(text, max = 60) {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

// ---------------------------------------------------------------------------------------------
// The event feed

function feedText(entry) {
  if (entry.local) return t(entry.local);
  const m = entry.msg;
  const who = (x) => (x.supplier !== undefined ? supplierLabel(x.supplier) : (x.alias ?? '?'));
  switch (m.type) {
    case 'phase': {
      let s = m.lot ? t('ev.phaseLot', { lot: m.lot, phase: phaseWord(m.phase) }) : t('ev.phaseAuction', { phase: phaseWord(m.phase) });
      if (typeof m.deadline === 'number') s += t('ev.phaseDeadline', { time: fmtClock(m.deadline) });
      if (typeof m.opens_at === 'number') s += t('ev.phaseOpensAt', { time: fmtClock(m.opens_at) });
      return s;
    }
    case 'extended':
      return m.cause === 'auctioneer'
        ? t('ev.extendedManual', { lot: m.lot, from: fmtClock(m.from), to: fmtClock(m.to), reason: m.reason ?? '' })
        : t('ev.extendedSoft', { lot: m.lot, from: fmtClock(m.from), to: fmtClock(m.to), n: m.extensions_used });
    case 'paused':
      return t('ev.paused', { reason: m.reason ?? '' });
    case 'resumed':
      return t('ev.resumed', { s: fmtNumber(msToSeconds(m.paused_ms)), reason: m.reason ?? '' });
    case 'bid_voided':
      return t('ev.bidVoided', { bid: m.bid ?? '?', supplier: who(m), lot: m.lot, reason: m.reason ?? '' });
    case 'disqualified':
      return t('ev.disqualified', { supplier: who(m), reason: m.reason ?? '' });
    case 'dropped':
      return t('ev.dropped', { supplier: m.supplier !== undefined || m.alias !== undefined ? who(m) : '—', lot: m.lot, step: m.step });
    case 'message':
      return t('ev.message', { text: m.text ?? '' });
    case 'terminated':
      return t('ev.terminated', { reason: m.reason ?? '' });
    case 'result': {
      const ws = (m.winners ?? []).map((w) => winnerText(w));
      let s = t('ev.result', { lot: m.lot, winners: ws.length ? ws.join('; ') : t('nobody') });
      if (m.reserve_met === true) s += ` ${t('reserveMet')}`;
      if (m.reserve_met === false) s += ` ${t('reserveNotMet')}`;
      return s;
    }
    case 'bid':
      return t('ev.bid', { bid: m.seq, lot: m.lot, supplier: who(m), total: fmtMoney(m.total), score: fmtNumber(m.score) });
    case 'request':
      return t('ev.request', { n: m.seq, by: m.by, action: actionWords(m.action), reason: m.reason ?? '' });
    case 'price':
      return t('ev.price', { lot: m.lot, price: fmtMoney(m.price), step: m.step });
    case 'round':
      return m.phase === 'open'
        ? t('ev.roundOpen', { lot: m.lot, n: m.round, time: fmtClock(m.ends_at) })
        : t('ev.roundClosed', { lot: m.lot, n: m.round });
    case 'turn': {
      const whoTurn = m.supplier !== undefined || m.alias !== undefined ? who(m) : '?';
      if (m.phase === 'round_opened') {
        const order = Array.isArray(m.order) ? m.order.map((x) => (isObserver() ? String(x) : supplierLabel(x))).join(', ') : '?';
        return t('ev.turnRound', { lot: m.lot, round: m.round, time: fmtClock(m.starts_at), order });
      }
      if (m.phase === 'started') {
        return t('ev.turnStarted', { lot: m.lot, turn: m.turn, round: m.round, who: whoTurn, time: fmtClock(m.ends_at) });
      }
      if (m.kept) return t('ev.turnEndedKept', { lot: m.lot, turn: m.turn, who: whoTurn });
      return typeof m.bid === 'number'
        ? t('ev.turnEndedBid', { lot: m.lot, turn: m.turn, who: whoTurn, bid: m.bid })
        : t('ev.turnEndedLower', { lot: m.lot, turn: m.turn, who: whoTurn });
    }
    case 'request_settled':
      return m.approved
        ? t('ev.approved', { n: m.request, by: m.by })
        : t('ev.declined', { n: m.request, by: m.by, reason: m.reason ?? '' });
    default:
      return m.type;
  }
}

/** Milliseconds as a decimal string of seconds with one decimal ("1.4"). */
function msToSeconds(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '0';
  const tenths = Math.round(ms / 100);
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

function feedItem(entry) {
  const at = entry.local ? entry.at : entry.msg.at;
  const type = entry.local ? 'local' : entry.msg.type;
  return el('li', { class: `feed-item feed-${type}`, 'data-type': type, 'data-seq': entry.msg?.seq },
    typeof at === 'number'
      ? el('time', { datetime: new Date(at).toISOString(), title: fmtTime(at) }, fmtClock(at))
      : null,
    ' ',
    el('span', {}, feedText(entry)));
}

function prependFeedItem(entry) {
  const list = $('feed');
  list.prepend(feedItem(entry));
  while (list.children.length > FEED_MAX) list.lastElementChild.remove();
  $('feed-empty').hidden = true;
}

function renderFeed() {
  $('feed').replaceChildren(...S.feed.map(feedItem));
  $('feed-empty').hidden = S.feed.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Start

function init() {
  applyStaticTexts();
  bindLangSwitch($('lang'), rerenderAll);
  applyStaticTexts();
  bindReasonDialog();

  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('signin-error').textContent = t('tokenMissing');
      $('token').focus();
      return;
    }
    resetView();
    startSession(token);
  });
  $('sign-out').addEventListener('click', signOut);
  $('pause').addEventListener('click', pauseAuction);
  $('resume').addEventListener('click', resumeAuction);
  $('terminate').addEventListener('click', terminateAuction);
  $('message-send').addEventListener('click', sendMessage);
  $('disqualify').addEventListener('click', disqualifySupplier);

  setInterval(tick, TICK_MS);
  window.addEventListener('resize', updateScrollFocus);
  renderStatus();

  const token = initialToken();
  if (token) {
    $('token').value = '';
    startSession(token);
  }
}

init();
