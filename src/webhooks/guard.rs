//! The SSRF guard: a webhook URL is someone's input that the server will POST to, so unless
//! `LIAISON_WEBHOOK_ALLOW_PRIVATE` is set it must be https and reach only public addresses:
//! never loopback, private, link-local (cloud metadata lives there), shared, multicast or
//! reserved ones. Names are checked when an endpoint is saved and again at every connection
//! (the client's resolver refuses them), so a name that later resolves elsewhere gains nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long saving an endpoint waits for its name to resolve.
const LOOKUP_FOR: Duration = Duration::from_secs(2);

pub fn is_public_v4(a: Ipv4Addr) -> bool {
    let [first, second, third, _] = a.octets();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || first == 0
        || first >= 240
        // Shared address space (carrier NAT; some clouds' metadata), RFC 6598.
        || (first == 100 && (64..128).contains(&second))
        // Benchmarking, RFC 2544.
        || (first == 198 && (18..20).contains(&second))
        // IETF protocol assignments, RFC 6890.
        || (first == 192 && second == 0 && third == 0))
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = a.segments()[0];
            let nat64 = a.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            if nat64 {
                let [.., hi, lo] = a.segments();
                let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
                return is_public_v4(v4);
            }
            !(a.is_unspecified()
                || a.is_loopback()
                || a.is_multicast()
                // Unique local (fc00::/7), link-local (fe80::/10), old site-local (fec0::/10).
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                // Documentation, RFC 3849.
                || (first == 0x2001 && a.segments()[1] == 0x0db8)
                || a == Ipv6Addr::from(1u128))
        }
    }
}

/// What can be told without the network: https (http only when private targets are
/// allowed), a host, no credentials, and an address literal that is public.
pub fn check_shape(raw: &str, allow_private: bool) -> Result<Url, String> {
    // The URL parser would quietly drop tabs and line breaks; a URL with them is refused.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err("must use https".into()),
        other => return Err(format!("{other}: is not a scheme webhooks use; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; verify the signature instead".into());
    }
    let literal = match url.host() {
        None => return Err("has no host".into()),
        Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(ip) = literal.filter(|ip| !allow_private && !is_public(*ip)) {
        return Err(format!("{ip} is not a public address"));
    }
    Ok(url)
}

/// `check_shape`, and the host's addresses now. A name that does not resolve yet is let
/// through (deliveries will retry); one that resolves to a non-public address is not.
pub async fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = check_shape(raw, allow_private)?;
    if allow_private {
        return Ok(url);
    }
    if let Some(url::Host::Domain(name)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let lookup = tokio::net::lookup_host((name, port));
        if let Ok(Ok(addrs)) = tokio::time::timeout(LOOKUP_FOR, lookup).await {
            if let Some(bad) = addrs.map(|a| a.ip()).find(|ip| !is_public(*ip)) {
                return Err(format!(
                    "{name} resolves to {bad}, which is not a public address"
                ));
            }
        }
    }
    Ok(url)
}

/// The delivery client's resolver: a name with any non-public address is refused outright.
#[derive(Debug, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(
                    format!("{host} resolves to {}, not a public address", bad.ip()).into(),
                );
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use crate::webhooks::guard::{check_shape, check_url, is_public};

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(!is_public(ip), "{private}");
        }
        for public in [
            "1.1.1.1",
            "203.119.25.1",
            "2400:3200::1",
            "64:ff9b::101:101",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(is_public(ip), "{public}");
        }
    }

    #[test]
    fn urls_need_https_a_host_and_no_credentials() {
        assert!(check_shape("https://hooks.example/liaison", false).is_ok());
        for bad in [
            "http://hooks.example/",
            "ftp://hooks.example/",
            "https://user:pw@hooks.example/",
            "https://127.0.0.1/",
            "https://[::1]:8443/",
            "https://169.254.169.254/latest/meta-data",
            "/relative",
            "https://hooks.example/a\tb",
            " https://hooks.example/",
        ] {
            assert!(check_shape(bad, false).is_err(), "{bad}");
        }
        assert!(check_shape("http://127.0.0.1:9/", true).is_ok());
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused() {
        let refused = check_url("https://localhost:8443/hook", false).await;
        assert!(refused.unwrap_err().contains("not a public address"));
        assert!(check_url("http://localhost:8443/hook", true).await.is_ok());
    }
}
