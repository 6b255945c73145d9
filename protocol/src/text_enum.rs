//! [`text_enum!`](crate::text_enum!): a fieldless enum whose values have one name each, on
//! the command line and on the wire, with `as_str`, `ALL`, `Display` and `FromStr`.

/// Declares a fieldless enum whose every value has one name (`Variant = "name"`), and
/// gives it `ALL` (every value, in declaration order), `as_str`, `Display` (the name) and
/// `FromStr` (the exact name; anything else is an error naming the choices, e.g.
/// `unknown profile "x": use hosted or strict`). `as "profile"` is what the error calls
/// a value.
///
/// ```
/// liveauth_protocol::text_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Speed as "speed" {
///         Slow = "slow",
///         Fast = "fast",
///     }
/// }
/// assert_eq!("fast".parse(), Ok(Speed::Fast));
/// assert_eq!(Speed::Slow.to_string(), "slow");
/// assert_eq!(
///     "Fast".parse::<Speed>(),
///     Err(r#"unknown speed "Fast": use slow or fast"#.to_owned())
/// );
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $what:literal {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value's name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::std::string::String;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| {
                        $crate::text_enum::unknown($what, s, Self::ALL.iter().map(|v| v.as_str()))
                    })
            }
        }
    };
}

/// `unknown WHAT "GOT": use A, B or C`.
#[doc(hidden)]
pub fn unknown<'a>(what: &str, got: &str, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let choices = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!("unknown {what} {got:?}: use {choices}")
}
