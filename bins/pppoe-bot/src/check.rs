//! `pppoe-bot check-config`: the config parses, each router answers, and the package table
//! matches the router's `/ppp/profile`.

use std::path::Path;

use pppoe_core::{RateLimit, Router, RouterError};
use routeros_adapter::RouterOs;

use crate::config::Settings;

/// Prints what is wrong in plain words; `Ok(true)` if all is well.
pub(crate) async fn check_config(path: &Path) -> anyhow::Result<bool> {
    let config = Settings::load(path)?;
    println!("config: {} parses", path.display());
    let table = &config.engine.profiles;
    let mut ok = true;
    for r in &config.routers {
        let router_config = match r.router_config() {
            Ok(c) => c,
            Err(e) => {
                // The error names the router.
                println!("{e:#}");
                ok = false;
                continue;
            }
        };
        let router = RouterOs::new(router_config);
        let health = match router.health().await {
            Ok(h) => h,
            Err(e) => {
                let hint = match &e {
                    RouterError::LoginRefused(_) => {
                        "; check user and the password (password_env or password_file), and that the user's group has the api, read and write policies"
                    }
                    RouterError::Certificate(_) => {
                        "; the router's api-ssl certificate is not the one this config trusts"
                    }
                    _ => "",
                };
                println!(
                    "router {:?} ({}): cannot use the API: {e}{hint}",
                    r.name, r.host
                );
                ok = false;
                continue;
            }
        };
        println!(
            "router {:?} ({}): connected, identity {:?}{}",
            r.name,
            r.host,
            health.identity,
            health
                .version
                .map(|v| format!(", RouterOS {v}"))
                .unwrap_or_default()
        );
        let profiles = match router.profiles().await {
            Ok(p) => p,
            Err(e) => {
                println!("router {:?}: cannot read /ppp/profile: {e}", r.name);
                ok = false;
                continue;
            }
        };
        for p in table.iter() {
            let Some(on_router) = profiles.iter().find(|rp| rp.name == p.router_profile) else {
                println!(
                    "  package {:?}: the router has no /ppp/profile named {:?}; create it or fix router_profile",
                    p.name, p.router_profile
                );
                ok = false;
                continue;
            };
            let want = p.rate_limit();
            match on_router.rate_limit.as_deref().map(RateLimit::parse) {
                None => {
                    println!(
                        "  package {:?}: /ppp/profile {:?} has no rate-limit; expected {want}",
                        p.name, p.router_profile
                    );
                    ok = false;
                }
                Some(Err(e)) => {
                    println!("  package {:?}: {e}", p.name);
                    ok = false;
                }
                Some(Ok(rl))
                    if rl.download_bps != p.download_bps || rl.upload_bps != p.upload_bps =>
                {
                    println!(
                        "  package {:?}: /ppp/profile {:?} has rate-limit {} but the table says {want} ({} down, {} up)",
                        p.name,
                        p.router_profile,
                        on_router.rate_limit.as_deref().unwrap_or_default(),
                        pppoe_core::profile::format_speed(p.download_bps),
                        pppoe_core::profile::format_speed(p.upload_bps),
                    );
                    ok = false;
                }
                Some(Ok(_)) => println!("  package {:?}: ok ({want})", p.name),
            }
        }
        let isolir = &config.engine.isolir;
        if profiles.iter().any(|p| p.name == isolir.profile) {
            println!("  isolir: /ppp/profile {:?} exists", isolir.profile);
        } else if isolir.method == pppoe_core::IsolirMethod::Profile {
            println!(
                "  isolir: warning: the router has no /ppp/profile {:?}; `isolir` refuses (and \
                 changes nothing) until it exists. Create it (see docs/operator.md, \
                 \"Isolation\"), e.g.:\n{}",
                isolir.profile,
                isolir_setup(&isolir.profile, &isolir.address_list)
            );
            // A warning, not a problem: the bot runs without it, and `isolir` says why it
            // refuses.
        }
    }
    // Replies the running bot could not get through (counted since its start; the audit rows
    // of their commands are right, only the chat did not get the answer).
    match std::fs::read_to_string(config.whatsapp.delivery_path()) {
        Ok(report) => {
            for line in report.lines() {
                println!("whatsapp: {line}");
            }
            println!(
                "whatsapp: see the log for each reply not delivered; the audit log has the \
                 commands' results"
            );
        }
        Err(_) => println!("whatsapp: no reply-delivery failure recorded"),
    }
    println!("{}", if ok { "all is well" } else { "problems found" });
    Ok(ok)
}

/// The RouterOS commands that set up isolation: a pool and profile for isolated
/// subscribers, and the redirect of the isolated addresses (the pool, and the address list
/// static IPs are put in) to the ISP's isolation page.
pub(crate) fn isolir_setup(profile: &str, list: &str) -> String {
    format!(
        "    /ip pool add name={profile}-pool ranges=10.255.0.2-10.255.3.254\n\
         \x20   /ppp profile add name={profile} local-address=10.255.0.1 remote-address={profile}-pool rate-limit=256k/256k\n\
         \x20   /ip firewall address-list add list={list} address=10.255.0.0/22 comment=\"isolir pool\"\n\
         \x20   /ip firewall nat add chain=dstnat src-address-list={list} protocol=tcp dst-port=80 action=dst-nat to-addresses=ISOLATION-PAGE-IP to-ports=80 comment=\"isolir page\"\n\
         \x20   /ip firewall filter add chain=forward src-address-list={list} protocol=udp dst-port=53 action=accept comment=\"isolir dns\"\n\
         \x20   /ip firewall filter add chain=forward src-address-list={list} dst-address=ISOLATION-PAGE-IP action=accept comment=\"isolir page\"\n\
         \x20   /ip firewall filter add chain=forward src-address-list={list} action=drop comment=\"isolir: nothing else\""
    )
}
