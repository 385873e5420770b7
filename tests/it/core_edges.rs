//! Core rejections that the script language cannot express (caller errors, unknown indices,
//! limits, arithmetic overflow), driven through `Auction::handle` directly.

use rust_decimal::Decimal;
use veiling::core::rules::limits::*;
use veiling::core::*;

const CONFIG: &str = r#"
[auction]
id = "edges"
title = "edges"
opens_at = "2025-03-04T10:00"
four_eyes = true

[timing]
mode = "parallel"
closes_at = "2025-03-04T11:00"

[bids]
decrement_amount = "0.01"

[[lots]]
id = "lot"
name = "lot"
ceiling = "1000000000000"
price_decimals = 0

[[lots.lines]]
id = "big"
description = "a huge quantity"
unit = "piece"
quantity = "1000000000"

[[auctioneers]]
id = "a"
name = "a"

[[auctioneers]]
id = "b"
name = "b"

[[suppliers]]
id = "s"
name = "s"
lots = ["lot"]
"#;

fn open_auction() -> (Auction, i64) {
    let rules = veiling::config::parse(CONFIG).unwrap().rules;
    let opens = rules.opens_at;
    let mut auction = Auction::new(rules);
    let out = auction.execute(&Input {
        seq: 1,
        at: opens,
        command: Command::Tick,
    });
    assert!(
        matches!(out, Outcome::Accepted(ref e) if e.len() == 2),
        "{out:?}"
    );
    (auction, opens)
}

fn bid(supplier: u32, lot: u32, id: &str, lines: &[i64]) -> Command {
    Command::PlaceBid {
        supplier: SupplierIx(supplier),
        lot: LotIx(lot),
        client_bid_id: id.into(),
        offer: Offer::Lines(lines.iter().map(|&x| Decimal::from(x)).collect()),
    }
}

fn rejection(auction: &Auction, seq: u64, at: i64, command: Command) -> Rejection {
    match auction.handle(&Input { seq, at, command }) {
        Outcome::Rejected(r) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn sequencing_errors_are_typed_and_change_nothing() {
    let (mut auction, opens) = open_auction();
    let accepted = auction.execute(&Input {
        seq: 5,
        at: opens + 10,
        command: bid(0, 0, "x", &[100]),
    });
    assert!(matches!(accepted, Outcome::Accepted(_)));
    let before = auction.clone();
    assert_eq!(
        rejection(&auction, 6, opens + 5, bid(0, 0, "y", &[90])),
        Rejection::TimeWentBack {
            at: opens + 5,
            clock: opens + 10
        }
    );
    assert_eq!(
        rejection(&auction, 5, opens + 20, bid(0, 0, "y", &[90])),
        Rejection::SeqWentBack { seq: 5, last: 5 }
    );
    let deadline = auction.next_deadline().unwrap();
    assert_eq!(
        rejection(&auction, 9, deadline, bid(0, 0, "y", &[90])),
        Rejection::TickDue { deadline }
    );
    assert_eq!(auction, before, "rejections must not change the state");
}

#[test]
fn unknown_indices_are_rejected_not_panics() {
    let (auction, opens) = open_auction();
    let at = opens + 1;
    assert_eq!(
        rejection(&auction, 2, at, bid(7, 0, "x", &[1])),
        Rejection::UnknownSupplier {
            supplier: SupplierIx(7)
        }
    );
    assert_eq!(
        rejection(&auction, 2, at, bid(0, 3, "x", &[1])),
        Rejection::UnknownLot { lot: LotIx(3) }
    );
    let act = Command::Act {
        by: AuctioneerIx(9),
        action: Action::Pause,
        reason: "r".into(),
    };
    assert_eq!(
        rejection(&auction, 2, at, act),
        Rejection::UnknownAuctioneer {
            by: AuctioneerIx(9)
        }
    );
    let void = Command::Act {
        by: AuctioneerIx(0),
        action: Action::Disqualify {
            supplier: SupplierIx(4),
        },
        reason: "r".into(),
    };
    assert_eq!(
        rejection(&auction, 2, at, void),
        Rejection::UnknownSupplier {
            supplier: SupplierIx(4)
        }
    );
}

#[test]
fn limits_on_client_input() {
    let (auction, opens) = open_auction();
    let at = opens + 1;
    let long_id = "x".repeat(CLIENT_BID_ID_MAX_BYTES + 1);
    assert_eq!(
        rejection(&auction, 2, at, bid(0, 0, &long_id, &[1])),
        Rejection::ClientBidIdInvalid {
            len: CLIENT_BID_ID_MAX_BYTES + 1,
            max: CLIENT_BID_ID_MAX_BYTES
        }
    );
    assert_eq!(
        rejection(&auction, 2, at, bid(0, 0, "", &[1])),
        Rejection::ClientBidIdInvalid {
            len: 0,
            max: CLIENT_BID_ID_MAX_BYTES
        }
    );
    let long_reason = "r".repeat(REASON_MAX_CHARS + 1);
    let act = Command::Act {
        by: AuctioneerIx(0),
        action: Action::Pause,
        reason: long_reason,
    };
    assert_eq!(
        rejection(&auction, 2, at, act),
        Rejection::TextTooLong {
            len: REASON_MAX_CHARS + 1,
            max: REASON_MAX_CHARS
        }
    );
    let text = "m".repeat(MESSAGE_MAX_CHARS + 1);
    let msg = Command::Act {
        by: AuctioneerIx(0),
        action: Action::Message { text },
        reason: "r".into(),
    };
    assert_eq!(
        rejection(&auction, 2, at, msg),
        Rejection::TextTooLong {
            len: MESSAGE_MAX_CHARS + 1,
            max: MESSAGE_MAX_CHARS
        }
    );
    let blank = Command::Act {
        by: AuctioneerIx(0),
        action: Action::Pause,
        reason: "   ".into(),
    };
    assert_eq!(rejection(&auction, 2, at, blank), Rejection::ReasonRequired);
}

#[test]
fn overflowing_line_totals_are_rejected_not_panics() {
    let (auction, opens) = open_auction();
    // 10^20 per piece x 10^9 pieces overflows a Decimal (max about 7.9 x 10^28).
    let huge = Command::PlaceBid {
        supplier: SupplierIx(0),
        lot: LotIx(0),
        client_bid_id: "huge".into(),
        offer: Offer::Lines(vec![Decimal::from(100_000_000_000_000_000_000u128)]),
    };
    assert_eq!(
        rejection(&auction, 2, opens + 1, huge),
        Rejection::PriceOutOfRange
    );
    // Within range but above the ceiling of 10^12.
    assert!(matches!(
        rejection(&auction, 2, opens + 1, bid(0, 0, "big", &[1001])),
        Rejection::AboveCeiling { .. }
    ));
}

#[test]
fn pending_approvals_are_bounded() {
    let (mut auction, opens) = open_auction();
    let n = PENDING_ACTIONS_MAX as u64;
    // Bids #2..=#17, each a whole unit cheaper, then one void request for each.
    for i in 0..n {
        let out = auction.execute(&Input {
            seq: 2 + i,
            at: opens + 1,
            command: bid(0, 0, &format!("b{i}"), &[100 - i as i64]),
        });
        assert!(matches!(out, Outcome::Accepted(_)), "{out:?}");
    }
    let void = |bid: u64| Command::Act {
        by: AuctioneerIx(0),
        action: Action::VoidBid { bid },
        reason: "why".into(),
    };
    for i in 0..n {
        let out = auction.execute(&Input {
            seq: 2 + n + i,
            at: opens + 2,
            command: void(2 + i),
        });
        assert!(matches!(out, Outcome::Accepted(_)), "{out:?}");
    }
    let terminate = || Command::Act {
        by: AuctioneerIx(0),
        action: Action::Terminate,
        reason: "why".into(),
    };
    let seq = 2 + 2 * n;
    assert_eq!(
        rejection(&auction, seq, opens + 2, terminate()),
        Rejection::TooManyPending {
            pending_max: PENDING_ACTIONS_MAX
        }
    );
    // The same action cannot wait twice.
    assert_eq!(
        rejection(&auction, seq, opens + 2, void(2)),
        Rejection::AlreadyRequested { request: 2 + n }
    );
    // Approving one frees a place; the approved termination clears the rest.
    let approve = |request| Command::Approve {
        by: AuctioneerIx(1),
        request,
    };
    let out = auction.execute(&Input {
        seq,
        at: opens + 3,
        command: approve(2 + n),
    });
    assert!(
        matches!(out, Outcome::Accepted(ref e) if matches!(e[1], Event::BidVoided { bid: 2, .. })),
        "{out:?}"
    );
    let out = auction.execute(&Input {
        seq: seq + 1,
        at: opens + 3,
        command: terminate(),
    });
    assert!(matches!(out, Outcome::Accepted(_)), "{out:?}");
    let out = auction.execute(&Input {
        seq: seq + 2,
        at: opens + 4,
        command: approve(seq + 1),
    });
    assert!(
        matches!(out, Outcome::Accepted(ref e) if matches!(e[1], Event::AuctionTerminated { .. })),
        "{out:?}"
    );
    assert_eq!(auction.pending().count(), 0);
    assert_eq!(auction.phase(), AuctionPhase::Terminated);
}

#[test]
fn bids_per_supplier_and_lot_are_bounded() {
    let config = CONFIG
        .replace("price_decimals = 0", "price_decimals = 2")
        .replace("four_eyes = true", "four_eyes = false");
    let config = config.split("[[lots.lines]]").next().unwrap().to_string()
        + "[[auctioneers]]\nid = \"a\"\nname = \"a\"\n[[suppliers]]\nid = \"s\"\nname = \"s\"\nlots = [\"lot\"]\n";
    let rules = veiling::config::parse(&config).unwrap().rules;
    let opens = rules.opens_at;
    let mut auction = Auction::new(rules);
    auction.execute(&Input {
        seq: 1,
        at: opens,
        command: Command::Tick,
    });
    let total = |cents: i64| Command::PlaceBid {
        supplier: SupplierIx(0),
        lot: LotIx(0),
        client_bid_id: format!("b{cents}"),
        offer: Offer::Total(Decimal::new(cents, 2)),
    };
    let start = 10_000_000_i64;
    for i in 0..BIDS_PER_SUPPLIER_LOT_MAX as i64 {
        let out = auction.execute(&Input {
            seq: 2 + i as u64,
            at: opens + 1 + i,
            command: total(start - i),
        });
        assert!(matches!(out, Outcome::Accepted(_)), "bid {i}: {out:?}");
    }
    let n = BIDS_PER_SUPPLIER_LOT_MAX as i64;
    assert_eq!(
        rejection(&auction, 2 + n as u64, opens + 1 + n, total(start - n)),
        Rejection::BidLimitReached {
            bids_max: BIDS_PER_SUPPLIER_LOT_MAX
        }
    );
}

#[test]
fn award_waits_for_pending_requests_that_could_change_the_result() {
    let (mut auction, opens) = open_auction();
    let out = auction.execute(&Input {
        seq: 2,
        at: opens + 1,
        command: bid(0, 0, "x", &[100]),
    });
    assert!(matches!(out, Outcome::Accepted(_)));
    let void = Command::Act {
        by: AuctioneerIx(0),
        action: Action::VoidBid { bid: 2 },
        reason: "typo".into(),
    };
    assert!(matches!(
        auction.execute(&Input {
            seq: 3,
            at: opens + 2,
            command: void
        }),
        Outcome::Accepted(_)
    ));
    let deadline = auction.next_deadline().unwrap();
    auction.execute(&Input {
        seq: 4,
        at: deadline,
        command: Command::Tick,
    });
    assert_eq!(auction.lot(LotIx(0)).unwrap().phase, LotPhase::Closed);
    let award = || Command::Act {
        by: AuctioneerIx(1),
        action: Action::Award { lot: LotIx(0) },
        reason: "best".into(),
    };
    assert_eq!(
        rejection(&auction, 5, deadline, award()),
        Rejection::PendingRequest { request: 3 }
    );
    let decline = Command::Decline {
        by: AuctioneerIx(1),
        request: 3,
        reason: "not a typo".into(),
    };
    assert!(matches!(
        auction.execute(&Input {
            seq: 5,
            at: deadline,
            command: decline
        }),
        Outcome::Accepted(_)
    ));
    match auction.execute(&Input {
        seq: 6,
        at: deadline,
        command: award(),
    }) {
        Outcome::Accepted(events) => {
            assert!(
                matches!(&events[0], Event::LotAwarded { winners, .. } if winners.len() == 1 && winners[0].bid == 2)
            );
        }
        other => panic!("{other:?}"),
    }
}
