//! The JUnit XML report: one `testcase` per check, `classname` = its level.

use std::fmt::Write as _;

use crate::{Outcome, Report};

/// The report as JUnit XML (the subset CI systems read).
pub fn to_junit_xml(report: &Report) -> String {
    let total: f64 = report.checks.iter().map(|c| c.elapsed.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"liveauth-conformance\" tests=\"{}\" failures=\"{}\" \
         errors=\"0\" skipped=\"{}\" time=\"{total:.3}\">",
        report.checks.len(),
        report.failed(),
        report.skipped()
    );
    for check in &report.checks {
        let _ = write!(
            out,
            "  <testcase classname=\"conformance.{}\" name=\"{}\" time=\"{:.3}\">",
            check.level,
            escape(check.name),
            check.elapsed.as_secs_f64()
        );
        match &check.outcome {
            Outcome::Pass => {}
            Outcome::Fail(why) => {
                let _ = write!(out, "<failure message=\"{}\"/>", escape(why));
            }
            Outcome::Skip(why) => {
                let _ = write!(out, "<skipped message=\"{}\"/>", escape(why));
            }
        }
        let _ = writeln!(
            out,
            "<system-out>{}</system-out></testcase>",
            escape(check.description)
        );
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

/// XML attribute/text escaping; characters XML 1.0 cannot carry become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckReport, Level};
    use std::time::Duration;

    #[test]
    fn one_testcase_per_check_with_escaped_reasons() {
        let report = Report {
            checks: vec![
                CheckReport {
                    name: "a",
                    level: Level::Compat,
                    description: "d",
                    outcome: Outcome::Pass,
                    elapsed: Duration::ZERO,
                },
                CheckReport {
                    name: "b",
                    level: Level::Strict,
                    description: "d",
                    outcome: Outcome::Fail("got <\"x\"> & \u{1}".into()),
                    elapsed: Duration::ZERO,
                },
            ],
        };
        let xml = to_junit_xml(&report);
        assert!(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""));
        assert!(xml.contains("classname=\"conformance.strict\" name=\"b\""));
        assert!(xml.contains("<failure message=\"got &lt;&quot;x&quot;&gt; &amp; \u{fffd}\"/>"));
    }
}
