//! `routeros-sim`: serves a simulated RouterOS API for scripts (interop tests, demos).
//!
//! Prints `listening on ADDR` as the first line of stdout once it accepts connections (so a
//! script can ask for port 0), then serves until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use routeros_sim::{SimServer, SimState};

const USAGE: &str = "\
usage: routeros-sim [options]

  --listen ADDR        address to listen on (default 127.0.0.1:8728; port 0 picks a free one)
  --user NAME          API user name (default admin)
  --password PASS      API user password (default empty)
  --seed-users N       generate N subscribers (default 0)
  --seed S             seed of the generator (default 1)
  --example-users      add john123 (online) and jane456 from the specification
  --legacy-login       emulate RouterOS before 6.43 (MD5 challenge login)
  --no-empty           emulate RouterOS before 7.18 (no !empty reply on empty prints)
  --identity NAME      /system/identity name (default MikroTik)
  -h, --help           this text
";

#[derive(Debug)]
struct Args {
    listen: SocketAddr,
    user: String,
    password: String,
    seed_users: usize,
    seed: u64,
    example_users: bool,
    legacy_login: bool,
    no_empty: bool,
    identity: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8728)),
        user: "admin".to_owned(),
        password: String::new(),
        seed_users: 0,
        seed: 1,
        example_users: false,
        legacy_login: false,
        no_empty: false,
        identity: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--listen" => {
                let v = value("--listen")?;
                parsed.listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--user" => parsed.user = value("--user")?,
            "--password" => parsed.password = value("--password")?,
            "--seed-users" => {
                let v = value("--seed-users")?;
                parsed.seed_users = v.parse().map_err(|e| format!("--seed-users {v}: {e}"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                parsed.seed = v.parse().map_err(|e| format!("--seed {v}: {e}"))?;
            }
            "--example-users" => parsed.example_users = true,
            "--legacy-login" => parsed.legacy_login = true,
            "--no-empty" => parsed.no_empty = true,
            "--identity" => parsed.identity = Some(value("--identity")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(parsed))
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("routeros-sim: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("routeros-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let state =
            SimState::seeded(args.seed_users, args.seed).with_user(&args.user, &args.password);
        if args.example_users
            && let Err(e) = state.add_example_users()
        {
            eprintln!("routeros-sim: example users: {e}");
            return ExitCode::FAILURE;
        }
        state.set_legacy_login(args.legacy_login);
        state.set_empty_replies(!args.no_empty);
        if let Some(identity) = &args.identity {
            state.set_identity(identity);
        }
        let server = match SimServer::bind(args.listen, state).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("routeros-sim: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "listening on {}", server.addr());
            let _ = stdout.flush();
        }
        terminated().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn arguments() {
        let a = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--seed-users=50",
            "--user",
            "api",
            "--password",
            "x=y",
            "--legacy-login",
            "--no-empty",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.listen.port(), 0);
        assert_eq!(a.seed_users, 50);
        assert_eq!(a.user, "api");
        assert_eq!(a.password, "x=y");
        assert!(a.legacy_login && a.no_empty && !a.example_users);
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--seed-users"]).is_err());
        assert!(parse(&["--listen", "nowhere"]).is_err());
    }
}
