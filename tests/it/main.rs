//! The one integration-test binary (one binary keeps link time down on a 2-core machine).

mod browser;
mod cli;
mod config;
mod core_edges;
mod durability;
mod golden;
mod independent;
mod logs;
mod props;
mod report;
mod scenarios;
mod server;
mod simulation;
mod tender;
mod tidy;
