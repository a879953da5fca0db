//! A request handler that panics holding the values services keep: regexes
//! (`regex::Regex`, `regex::bytes::Regex`, `RegexSet`), a `url::Url`,
//! `std::net` addresses, `chrono` and `time` date-times, `Instant` and
//! `SystemTime`, platform strings that are not UTF-8, and an `http::Uri`
//! and `HeaderMap`, each with known contents, for pmdb's tests of views.
//!
//! `demo-services` panics in `handle`; `handle` holds one local of each.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// 2025-12-03T17:05:08.123456789Z, in seconds and nanoseconds since 1970.
const SECS: i64 = 1_764_781_508;
const NANOS: u32 = 123_456_789;

/// Types named like the crates' but laid out otherwise: shown raw.
mod lookalike {
    pub struct Regex {
        pub pattern: u32,
    }
    pub struct Url(pub u8);
}

/// The crates' own fields in a layout pmdb does not know (a regex whose
/// pattern is kept otherwise, a chrono `DateTime` in a time zone of
/// another crate): one line saying so, the raw fields as children.
mod unknown {
    pub mod meta {
        pub struct Regex {
            pub imp: u8,
        }
    }
    pub struct Regex {
        pub meta: meta::Regex,
        pub pattern: u32,
    }
    pub struct Zone {
        pub name: &'static str,
    }
    pub struct DateTime {
        pub datetime: chrono::NaiveDateTime,
        pub offset: Zone,
    }
}

fn main() {
    debuggee_agent::install();
    handle();
}

fn handle() {
    let route = regex::Regex::new(r"^/up\w+$").unwrap();
    let raw = regex::bytes::Regex::new(r"(?-u)\xFF+").unwrap();
    let routes = regex::RegexSet::new([r"^/a", r"^/b\d"]).unwrap();
    let raw_set = regex::bytes::RegexSet::new([r"x"]).unwrap();
    let url = url::Url::parse("https://user@example.com:8443/api/v1?q=1#top").unwrap();
    let v4 = Ipv4Addr::new(127, 0, 0, 1);
    let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let listen = SocketAddr::V4(SocketAddrV4::new(v4, 8080));
    let peer = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 0, 0));
    let scoped = SocketAddrV6::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 22, 0, 2);
    let stamp = chrono::DateTime::from_timestamp(SECS, NANOS).unwrap();
    let naive = stamp.naive_utc();
    let paris = stamp.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap());
    let day = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(SECS) * 1_000_000_000 + 123_456_789,
    )
    .unwrap();
    let at_minus = at.to_offset(time::UtcOffset::from_hms(-5, -30, 0).unwrap());
    let primitive = time::PrimitiveDateTime::new(at.date(), at.time());
    let wall = UNIX_EPOCH + Duration::new(SECS as u64, NANOS);
    let before = UNIX_EPOCH - Duration::from_secs(1);
    // Ninety seconds before the crash: "how long ago" is 90 s and a little.
    let started = Instant::now() - Duration::from_secs(90);
    let path = PathBuf::from(OsString::from_vec(b"/tmp/a\xFFb".to_vec()));
    let name = OsString::from_vec(b"caf\xC3\xA9 \xE2\x82".to_vec());
    let plain = PathBuf::from("/etc/hosts");
    let uri = http::Uri::from_static("https://example.com:8443/api/v1?x=1");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    headers.append(http::header::ACCEPT, "text/html".parse().unwrap());
    headers.append(http::header::ACCEPT, "*/*".parse().unwrap());
    headers.insert("x-request-id", http::HeaderValue::from_static("42"));
    let fake_regex = lookalike::Regex { pattern: 7 };
    let fake_url = lookalike::Url(8);
    let odd_regex = unknown::Regex {
        meta: unknown::meta::Regex { imp: 1 },
        pattern: 9,
    };
    let zoned = unknown::DateTime {
        datetime: naive,
        offset: unknown::Zone {
            name: "Europe/Paris",
        },
    };
    let _ = std::hint::black_box((&route, &raw, &routes, &raw_set, &url));
    let _ = std::hint::black_box((&v4, &v6, &ip, &listen, &peer, &scoped));
    let _ = std::hint::black_box((&stamp, &naive, &paris, &day, &at, &at_minus, &primitive));
    let _ = std::hint::black_box((&wall, &before, &started, &path, &name, &plain));
    let _ = std::hint::black_box((&uri, &headers, &fake_regex, &fake_url, &odd_regex, &zoned));
    panic!("a handler with service values panicked");
}
