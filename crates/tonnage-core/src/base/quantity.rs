//! Kubernetes resource quantities (`500m`, `1.5`, `2Gi`, `129e6`), exact and float-free.
//!
//! A port of apimachinery's `resource.Quantity`: kubernetes/kubernetes
//! `staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go` (with `amount.go`, `math.go`,
//! `scale_int.go` and the vectors of `quantity_test.go`), checked against the section
//! "Kubernetes resource quantities" of `/work/shared/reference/sizing-facts.md`, whose vectors
//! are the unit tests at the bottom of this file.
//!
//! What is kept from apimachinery:
//! - the grammar: `sign? number suffix`, number `123`, `1.5`, `1.`, `.5`; suffix binary
//!   `Ki Mi Gi Ti Pi Ei`, decimal `n u m "" k M G T P E`, or `e`/`E` and a signed integer;
//! - the format family remembered from the suffix ([`Format`]); a binary-SI value strictly
//!   between -1 and 1 becomes decimal-SI on parse, as apimachinery does;
//! - rounding on parse to nano precision, non-zero values rounded *away from zero*
//!   (`3.001n` -> `4n`, `-3.001n` -> `-4n`, `0.1n` -> `1n`): apimachinery rounds the magnitude
//!   up (`inf.RoundUp` on the absolute value), so for negative values this is not a ceiling;
//! - the silent cap of binary-SI values at 2^63-1 bytes on parse (`9Ei` -> `9223372036854775807`);
//! - the canonical form of `Quantity.String()` (`CanonicalizeBytes`);
//! - sums and differences take the left operand's format, or the right one's when the left is
//!   zero (`Quantity.Add`/`Sub`);
//! - `Value()`/`MilliValue()` round away from zero (documented: "rounded up to the nearest
//!   integer away from 0").
//!
//! Where this type differs, deliberately:
//! - the value is an `i128` count of nano-units, so magnitudes up to about 1.7e29 units are
//!   exact; a value beyond that is rejected with an error (apimachinery's `inf.Dec` is unbounded);
//! - a number must have a digit: apimachinery reads `"."`, `"-"` or `"Ki"` as zero, here they are
//!   rejected;
//! - a decimal-SI value above the `E` suffix prints with `E` and a larger mantissa (`1000E`)
//!   and a binary-SI one above `Ei` with `Ei` (`1024Ei`), where apimachinery drops the suffix;
//! - the integer accessors saturate at the `i64` bounds instead of overflowing.
//!
//! No floating point is used to hold or compute a value (an incoming YAML/JSON float is only
//! turned into its shortest decimal text, then parsed), and no `usize` holds a value (it is
//! 32 bits on wasm32).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

/// Nano-units in one unit.
const NANO: i128 = 1_000_000_000;

/// Parsing caps binary-SI magnitudes here, like apimachinery's `maxAllowed` (2^63-1 units).
const BINARY_CAP_NANOS: i128 = i64::MAX as i128 * NANO;

/// The largest magnitude in nano-units; the range is symmetric, so `i128::MIN` is never held.
const MAX_NANOS: i128 = i128::MAX;

/// Binary suffixes by power of 1024.
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/// What every parse error says is accepted.
const EXPECTED: &str = "expected a number with an optional suffix (Ki Mi Gi Ti Pi Ei, \
                        n u m k M G T P E, or an exponent like e3), e.g. 500m, 1.5, 2Gi";

/// The family of suffix a quantity was written with, and is printed with again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// A decimal exponent, e.g. `12e6`.
    DecimalExponent,
    /// A binary SI suffix, e.g. `12Mi` (12 × 2^20).
    BinarySI,
    /// A decimal SI suffix or none, e.g. `12M` (12 × 10^6), `500m`, `3`.
    #[default]
    DecimalSI,
}

/// A Kubernetes resource quantity: an exact count of nano-units and the format to print it in.
///
/// Equality, ordering and hashing look at the value only: `1Gi == 1024Mi == 1073741824`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

/// Why a text is not a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityErrorKind {
    /// The text is empty.
    Empty,
    /// The text does not follow the grammar (whitespace, unknown suffix, stray characters...).
    Syntax,
    /// The value (or its exponent) is too large in magnitude to be held exactly.
    OutOfRange,
}

/// A text that is not a quantity; the message quotes it and says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError {
    input: String,
    kind: QuantityErrorKind,
}

impl QuantityError {
    /// The rejected text, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it was rejected.
    pub fn kind(&self) -> QuantityErrorKind {
        self.kind
    }
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Quote with escapes (whitespace and quotes stay visible); keep very long input short.
        let shown: String = if self.input.chars().count() > 64 {
            self.input.chars().take(60).chain("...".chars()).collect()
        } else {
            self.input.clone()
        };
        write!(f, "invalid quantity {shown:?}: ")?;
        match self.kind {
            QuantityErrorKind::Empty => write!(f, "it is empty; {EXPECTED}"),
            QuantityErrorKind::Syntax => write!(f, "{EXPECTED}"),
            QuantityErrorKind::OutOfRange => write!(
                f,
                "its magnitude is too large (the limit is about 1.7e29); {EXPECTED}"
            ),
        }
    }
}

impl std::error::Error for QuantityError {}

/// A suffix, interpreted.
enum Suffix {
    /// A decimal SI suffix: the power of ten.
    Decimal(i32),
    /// A binary SI suffix: the power of two.
    Binary(u32),
    /// A decimal exponent.
    Exponent(i64),
}

fn interpret_suffix(s: &str) -> Result<Suffix, QuantityErrorKind> {
    Ok(match s {
        "n" => Suffix::Decimal(-9),
        "u" => Suffix::Decimal(-6),
        "m" => Suffix::Decimal(-3),
        "" => Suffix::Decimal(0),
        "k" => Suffix::Decimal(3),
        "M" => Suffix::Decimal(6),
        "G" => Suffix::Decimal(9),
        "T" => Suffix::Decimal(12),
        "P" => Suffix::Decimal(15),
        "E" => Suffix::Decimal(18),
        "Ki" => Suffix::Binary(10),
        "Mi" => Suffix::Binary(20),
        "Gi" => Suffix::Binary(30),
        "Ti" => Suffix::Binary(40),
        "Pi" => Suffix::Binary(50),
        "Ei" => Suffix::Binary(60),
        _ => {
            let rest = s
                .strip_prefix('e')
                .or_else(|| s.strip_prefix('E'))
                .ok_or(QuantityErrorKind::Syntax)?;
            Suffix::Exponent(parse_exponent(rest)?)
        }
    })
}

/// A signed decimal integer in the `i64` range (Go's `strconv.ParseInt(s, 10, 64)`).
fn parse_exponent(s: &str) -> Result<i64, QuantityErrorKind> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QuantityErrorKind::Syntax);
    }
    let mut magnitude: i128 = 0;
    for b in digits.bytes() {
        magnitude = magnitude * 10 + i128::from(b - b'0');
        if magnitude > 1 << 63 {
            return Err(QuantityErrorKind::OutOfRange);
        }
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| QuantityErrorKind::OutOfRange)
}

/// The number formed by decimal digits, if it fits.
fn digits_value(digits: &[u8]) -> Option<i128> {
    digits.iter().try_fold(0i128, |acc, &d| {
        acc.checked_mul(10)?.checked_add(i128::from(d))
    })
}

/// [`Quantity::parse_digits`] in integer arithmetic, for the numbers written every day (`500m`,
/// `2Gi`, `0.5`): `None` (the caller then takes the digit-by-digit way) when the digits or the
/// mantissa times a binary suffix do not fit an `i128`. The same result: nano-units rounded away
/// from zero (a ceiling of the magnitude), binary-SI capped and below one unit decimal-SI.
fn parse_small(
    negative: bool,
    int_part: &[u8],
    frac_part: &[u8],
    suffix: &Suffix,
) -> Option<Result<Quantity, QuantityErrorKind>> {
    // Up to 36 digits fit an i128 (10^36 < 2^127).
    if int_part.len() + frac_part.len() > 36 {
        return None;
    }
    // Trailing zeros (of the fraction, then of the integer part once the fraction is all zeros)
    // go into the exponent.
    let frac_kept = frac_part.len() - frac_part.iter().rev().take_while(|&&b| b == b'0').count();
    let (int_digits, frac_digits, mut exp10) = if frac_kept > 0 {
        (int_part, &frac_part[..frac_kept], -(frac_kept as i128))
    } else {
        let zeros = int_part.iter().rev().take_while(|&&b| b == b'0').count();
        (&int_part[..int_part.len() - zeros], &[][..], zeros as i128)
    };
    let mut mantissa: i128 = 0;
    for &b in int_digits.iter().chain(frac_digits) {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    let mut format = match suffix {
        Suffix::Decimal(_) => Format::DecimalSI,
        Suffix::Binary(_) => Format::BinarySI,
        Suffix::Exponent(_) => Format::DecimalExponent,
    };
    if mantissa == 0 {
        return Some(Ok(Quantity { nanos: 0, format }));
    }
    match *suffix {
        Suffix::Decimal(e) => exp10 += i128::from(e),
        Suffix::Exponent(e) => exp10 += i128::from(e),
        Suffix::Binary(power) => mantissa = mantissa.checked_mul(1i128 << power)?,
    }
    let shift = exp10 + 9;
    let magnitude = if shift >= 0 {
        u32::try_from(shift)
            .ok()
            .and_then(|s| 10i128.checked_pow(s))
            .and_then(|scale| mantissa.checked_mul(scale))
    } else {
        // Rounded up: whatever is dropped is not zero (a mantissa under the divisor gives 1).
        match u32::try_from(-shift)
            .ok()
            .and_then(|s| 10i128.checked_pow(s))
        {
            Some(divisor) => Some(mantissa / divisor + i128::from(mantissa % divisor != 0)),
            None => Some(1),
        }
    };
    let Some(mut magnitude) = magnitude else {
        return Some(Err(QuantityErrorKind::OutOfRange));
    };
    if format == Format::BinarySI {
        magnitude = magnitude.min(BINARY_CAP_NANOS);
        if magnitude < NANO {
            format = Format::DecimalSI;
        }
    }
    let nanos = if negative { -magnitude } else { magnitude };
    Some(Ok(Quantity { nanos, format }))
}

/// Decimal digits (most significant first) multiplied by 2^power, exactly.
fn multiply_by_power_of_two(digits: &[u8], power: u32) -> Vec<u8> {
    let factor: u128 = 1 << power;
    let mut out = Vec::with_capacity(digits.len() + 20);
    let mut carry: u128 = 0;
    for &d in digits.iter().rev() {
        let v = u128::from(d) * factor + carry;
        out.push((v % 10) as u8);
        carry = v / 10;
    }
    while carry > 0 {
        out.push((carry % 10) as u8);
        carry /= 10;
    }
    out.reverse();
    out
}

/// Move trailing zero digits into the exponent.
fn strip_trailing_zeros(digits: &mut Vec<u8>, exp10: &mut i128) {
    while digits.last() == Some(&0) {
        digits.pop();
        *exp10 += 1;
    }
}

/// `digits × 10^shift` in nano-units, rounded away from zero; `None` when it overflows.
/// `digits` is non-empty, has no leading zero and no trailing zero.
fn magnitude_nanos(digits: &[u8], shift: i128) -> Option<i128> {
    let len = digits.len() as i128;
    if shift >= 0 {
        // digits ≥ 10^(len-1), so the product is at least 10^(len-1+shift) > i128::MAX from 39 on.
        if len - 1 + shift >= 39 {
            return None;
        }
        let scale = 10i128.checked_pow(u32::try_from(shift).ok()?)?;
        digits_value(digits)?.checked_mul(scale)
    } else if -shift >= len {
        // Below one nano-unit but not zero: the smallest non-zero amount.
        Some(1)
    } else {
        // The dropped digits end with a non-zero digit, so there always is a remainder.
        let keep = (len + shift) as usize;
        digits_value(&digits[..keep])?.checked_add(1)
    }
}

impl Quantity {
    /// Zero (decimal-SI).
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSI,
    };

    /// Parse a quantity in apimachinery's grammar (see the module documentation).
    ///
    /// # Errors
    /// A [`QuantityError`] when the text is empty, does not follow the grammar, or its
    /// magnitude overflows `i128` nano-units.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        Self::parse_inner(s).map_err(|kind| QuantityError {
            input: s.to_string(),
            kind,
        })
    }

    fn parse_inner(s: &str) -> Result<Quantity, QuantityErrorKind> {
        let bytes = s.as_bytes();
        if bytes.is_empty() {
            return Err(QuantityErrorKind::Empty);
        }
        let mut pos = 0;
        let negative = match bytes[0] {
            b'-' => {
                pos = 1;
                true
            }
            b'+' => {
                pos = 1;
                false
            }
            _ => false,
        };
        let int_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        let int_part = &bytes[int_start..pos];
        let mut frac_part: &[u8] = &[];
        if pos < bytes.len() && bytes[pos] == b'.' {
            pos += 1;
            let frac_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            frac_part = &bytes[frac_start..pos];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(QuantityErrorKind::Syntax);
        }
        // Everything consumed so far is ASCII, so `pos` is a char boundary.
        let suffix = interpret_suffix(&s[pos..])?;
        if let Some(q) = parse_small(negative, int_part, frac_part, &suffix) {
            return q;
        }
        Self::parse_digits(negative, int_part, frac_part, suffix)
    }

    /// [`Self::parse_inner`] after the syntax, for any number of digits: the digits as a vector,
    /// multiplied out by a binary suffix digit by digit.
    fn parse_digits(
        negative: bool,
        int_part: &[u8],
        frac_part: &[u8],
        suffix: Suffix,
    ) -> Result<Quantity, QuantityErrorKind> {
        // value = digits × 10^exp10, digits without leading zeros.
        let mut digits: Vec<u8> = int_part
            .iter()
            .chain(frac_part)
            .map(|b| b - b'0')
            .skip_while(|&d| d == 0)
            .collect();
        let mut exp10: i128 = -(frac_part.len() as i128);
        let mut format = match suffix {
            Suffix::Decimal(_) => Format::DecimalSI,
            Suffix::Binary(_) => Format::BinarySI,
            Suffix::Exponent(_) => Format::DecimalExponent,
        };
        if digits.is_empty() {
            return Ok(Quantity { nanos: 0, format });
        }
        strip_trailing_zeros(&mut digits, &mut exp10);
        match suffix {
            Suffix::Decimal(e) => exp10 += i128::from(e),
            Suffix::Exponent(e) => exp10 += i128::from(e),
            Suffix::Binary(power) => {
                digits = multiply_by_power_of_two(&digits, power);
                strip_trailing_zeros(&mut digits, &mut exp10);
            }
        }
        let mut magnitude =
            magnitude_nanos(&digits, exp10 + 9).ok_or(QuantityErrorKind::OutOfRange)?;
        if format == Format::BinarySI {
            magnitude = magnitude.min(BINARY_CAP_NANOS);
            if magnitude < NANO {
                // "This avoids rounding and hopefully confusion, too." (apimachinery)
                format = Format::DecimalSI;
            }
        }
        let nanos = if negative { -magnitude } else { magnitude };
        Ok(Quantity { nanos, format })
    }

    /// A quantity of `nanos` nano-units in `format`; `None` for `i128::MIN` (outside the range).
    pub fn from_nanos(nanos: i128, format: Format) -> Option<Quantity> {
        (nanos != i128::MIN).then_some(Quantity { nanos, format })
    }

    /// `m` thousandths (millicores for CPU), decimal-SI.
    pub fn from_millis(m: i64) -> Quantity {
        Quantity {
            nanos: i128::from(m) * 1_000_000,
            format: Format::DecimalSI,
        }
    }

    /// `b` whole units (bytes for memory), binary-SI.
    pub fn from_bytes(b: i64) -> Quantity {
        Quantity {
            nanos: i128::from(b) * NANO,
            format: Format::BinarySI,
        }
    }

    /// The exact value in nano-units.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The format the quantity prints in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The value in thousandths, rounded away from zero (apimachinery `MilliValue`),
    /// saturating at the `i64` bounds.
    pub fn milli_value(&self) -> i64 {
        scaled_away_from_zero(self.nanos, 1_000_000)
    }

    /// The value in whole units, rounded away from zero (apimachinery `Value`),
    /// saturating at the `i64` bounds.
    pub fn value(&self) -> i64 {
        scaled_away_from_zero(self.nanos, NANO)
    }

    /// The sum, or `None` on overflow. Its format is the left one's, or the right one's when
    /// the left is zero (apimachinery `Add`).
    pub fn checked_add(self, rhs: Quantity) -> Option<Quantity> {
        let nanos = self.nanos.checked_add(rhs.nanos)?;
        Quantity::from_nanos(nanos, self.format_with(rhs))
    }

    /// The difference, or `None` on overflow; formats as for [`Quantity::checked_add`].
    pub fn checked_sub(self, rhs: Quantity) -> Option<Quantity> {
        let nanos = self.nanos.checked_sub(rhs.nanos)?;
        Quantity::from_nanos(nanos, self.format_with(rhs))
    }

    /// The product by an integer, or `None` on overflow; the format is kept.
    pub fn checked_mul(self, n: i64) -> Option<Quantity> {
        let nanos = self.nanos.checked_mul(i128::from(n))?;
        Quantity::from_nanos(nanos, self.format)
    }

    fn format_with(self, rhs: Quantity) -> Format {
        if self.nanos == 0 {
            rhs.format
        } else {
            self.format
        }
    }

    /// The canonical text: no fraction, the largest suffix that keeps the number whole.
    pub(crate) fn canonical(&self) -> String {
        let mut out = String::with_capacity(24);
        self.push_canonical(&mut out);
        out
    }

    /// Appends [`Self::canonical`]. Its mantissa is worked out in `i64` where it fits (every
    /// figure of a chart does), as `i128` division is a library call.
    pub(crate) fn push_canonical(&self, out: &mut String) {
        if self.nanos == 0 {
            out.push('0');
            return;
        }
        let binary_whole =
            self.nanos.unsigned_abs() >= 1024 * NANO.unsigned_abs() && self.nanos % NANO == 0;
        if self.format == Format::BinarySI && binary_whole {
            let mut mantissa = self.nanos / NANO;
            let mut power = 0;
            while power < BINARY_SUFFIXES.len() - 1 && mantissa % 1024 == 0 {
                mantissa /= 1024;
                power += 1;
            }
            push_int(out, mantissa);
            out.push_str(BINARY_SUFFIXES[power]);
            return;
        }
        // Decimal: move factors of ten into the exponent, then lower it to a multiple of 3.
        let (mut mantissa, mut exponent): (i128, i32) = match i64::try_from(self.nanos) {
            Ok(n) => {
                let (m, e) = strip_tens(n, -9);
                (i128::from(m), e)
            }
            Err(_) if self.nanos % NANO == 0 => match i64::try_from(self.nanos / NANO) {
                Ok(n) => {
                    let (m, e) = strip_tens(n, 0);
                    (i128::from(m), e)
                }
                Err(_) => strip_tens_wide(self.nanos, -9),
            },
            Err(_) => strip_tens_wide(self.nanos, -9),
        };
        // No overflow: at least as many zeros were removed as are put back.
        let down = exponent.rem_euclid(3);
        mantissa *= 10i128.pow(down as u32);
        exponent -= down;
        if self.format == Format::DecimalExponent {
            push_int(out, mantissa);
            if exponent != 0 {
                out.push('e');
                push_int(out, i128::from(exponent));
            }
            return;
        }
        // Decimal-SI (and binary-SI that is not a whole number of bytes, or under 1024).
        if exponent > 18 {
            mantissa *= 10i128.pow((exponent - 18) as u32);
            exponent = 18;
        }
        push_int(out, mantissa);
        out.push_str(decimal_suffix(exponent));
    }
}

/// The decimal-SI suffix of a power of ten that is a multiple of 3 from -9 to 18.
fn decimal_suffix(exponent: i32) -> &'static str {
    match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        _ => "E",
    }
}

/// `n` (not zero) without its trailing zeros, and `exponent` raised by their count.
fn strip_tens(mut n: i64, mut exponent: i32) -> (i64, i32) {
    while n % 10 == 0 {
        n /= 10;
        exponent += 1;
    }
    (n, exponent)
}

/// [`strip_tens`] for a mantissa beyond `i64`.
fn strip_tens_wide(mut n: i128, mut exponent: i32) -> (i128, i32) {
    while n % 10 == 0 {
        n /= 10;
        exponent += 1;
    }
    (n, exponent)
}

/// Appends the decimal text of `n` (as `format!("{n}")` writes it), through `i64` where it fits.
fn push_int(out: &mut String, n: i128) {
    use std::fmt::Write as _;
    let _ = match i64::try_from(n) {
        Ok(small) => write!(out, "{small}"),
        Err(_) => write!(out, "{n}"),
    };
}

/// `nanos / divisor`, rounded away from zero, saturated to `i64`.
fn scaled_away_from_zero(nanos: i128, divisor: i128) -> i64 {
    let quotient = nanos / divisor;
    let quotient = match (nanos % divisor).cmp(&0) {
        Ordering::Greater => quotient + 1,
        Ordering::Less => quotient - 1,
        Ordering::Equal => quotient,
    };
    i64::try_from(quotient).unwrap_or(if quotient < 0 { i64::MIN } else { i64::MAX })
}

/// Parse a quantity; the same as [`Quantity::parse`].
///
/// # Errors
/// As [`Quantity::parse`].
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    Quantity::parse(s)
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

/// The canonical form of apimachinery's `Quantity.String()`.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.canonical())
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

/// Saturating sum (use [`Quantity::checked_add`] to detect overflow); formats as `checked_add`.
impl Add for Quantity {
    type Output = Quantity;

    fn add(self, rhs: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(rhs.nanos).max(-MAX_NANOS),
            format: self.format_with(rhs),
        }
    }
}

impl AddAssign for Quantity {
    fn add_assign(&mut self, rhs: Quantity) {
        *self = *self + rhs;
    }
}

/// Saturating difference (use [`Quantity::checked_sub`] to detect overflow).
impl Sub for Quantity {
    type Output = Quantity;

    fn sub(self, rhs: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_sub(rhs.nanos).max(-MAX_NANOS),
            format: self.format_with(rhs),
        }
    }
}

impl SubAssign for Quantity {
    fn sub_assign(&mut self, rhs: Quantity) {
        *self = *self - rhs;
    }
}

impl Neg for Quantity {
    type Output = Quantity;

    fn neg(self) -> Quantity {
        // The range is symmetric, so this never overflows.
        Quantity {
            nanos: -self.nanos,
            format: self.format,
        }
    }
}

/// Saturating sum from zero: the result takes the first non-zero term's format.
impl Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::ZERO, Add::add)
    }
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct QuantityVisitor;

impl QuantityVisitor {
    fn parse_text<E: serde::de::Error>(text: &str) -> Result<Quantity, E> {
        Quantity::parse(text).map_err(E::custom)
    }
}

impl serde::de::Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes quantity such as 500m, 1.5 or 2Gi (a string or a number)")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
        Self::parse_text(v)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
        Self::parse_text(&v.to_string())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
        Self::parse_text(&v.to_string())
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Quantity, E> {
        Self::parse_text(&v.to_string())
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Quantity, E> {
        Self::parse_text(&v.to_string())
    }

    /// The one place a float appears: it is turned into its shortest decimal text
    /// (`0.5` -> `"0.5"`, never an exponent), which is then parsed exactly.
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
        Self::parse_text(&v.to_string())
    }
}

/// From a string (`"500m"`) or a YAML/JSON number (`1`, `0.5`), as Helm values hold them.
impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

/// Appends `n / 10^places` with up to `places` decimals, trailing zeros trimmed (`235, 2` ->
/// `2.35`).
fn push_trimmed_decimal(out: &mut String, n: u128, places: u32) {
    use std::fmt::Write;
    let scale = 10u128.pow(places);
    let (whole, fraction) = (n / scale, n % scale);
    let _ = write!(out, "{whole}");
    if fraction != 0 {
        let _ = write!(out, ".{fraction:0width$}", width = places as usize);
        // The fraction is not zero, so this stops at one of its digits.
        while out.ends_with('0') {
            out.pop();
        }
    }
}

/// CPU for people: below one core in millicores (`500m`), else cores with up to three
/// decimals (`1 core`, `2.35 cores`); exact, no rounding needed.
pub fn human_cpu(millicores: i64) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(16);
    if millicores < 0 {
        out.push('-');
    }
    let magnitude = u128::from(millicores.unsigned_abs());
    if magnitude < 1000 {
        let _ = write!(out, "{magnitude}m");
        return out;
    }
    push_trimmed_decimal(&mut out, magnitude, 3);
    out.push_str(if magnitude == 1000 { " core" } else { " cores" });
    out
}

/// Bytes for people, in binary units with up to two decimals rounded half up and trimmed:
/// `512 B`, `512 MiB`, `1 GiB`, `4.63 GiB`, `110 GiB`.
pub fn human_bytes(bytes: i64) -> String {
    use std::fmt::Write;
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut out = String::with_capacity(16);
    if bytes < 0 {
        out.push('-');
    }
    let magnitude = u128::from(bytes.unsigned_abs());
    if magnitude < 1024 {
        let _ = write!(out, "{magnitude} B");
        return out;
    }
    // The largest unit not above the magnitude (UNITS[i] is 1024^(i+1) bytes).
    let mut unit_index = 0;
    while unit_index + 1 < UNITS.len() && magnitude >= 1u128 << (10 * (unit_index + 2)) {
        unit_index += 1;
    }
    let hundredths = |unit: u128| (magnitude * 100 + unit / 2) / unit;
    let mut unit = 1u128 << (10 * (unit_index + 1));
    let mut rounded = hundredths(unit);
    if rounded >= 1024 * 100 && unit_index + 1 < UNITS.len() {
        // e.g. 1023.999 MiB rounds to 1024 MiB: say 1 GiB.
        unit_index += 1;
        unit <<= 10;
        rounded = hundredths(unit);
    }
    push_trimmed_decimal(&mut out, rounded, 2);
    out.push(' ');
    out.push_str(UNITS[unit_index]);
    out
}

/// A near miss of a quantity, corrected: the unit people write for bytes or cores where
/// Kubernetes has another (`5Gb`, `5GB`, `5gi`, `5 GiB` -> `5Gi`; `512mb` -> `512Mi`;
/// `2 cores` -> `2`; `500 millicores` -> `500m`). `None` when `text` is already a quantity or
/// no correction parses.
pub fn suggest_quantity(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || parse(t).is_ok() {
        return None;
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() || parse(number).is_err() {
        return None;
    }
    let unit = unit.trim().to_ascii_lowercase();
    let suffix = match unit.as_str() {
        "k" | "kb" | "ki" | "kib" => "Ki",
        "mb" | "mi" | "mib" => "Mi",
        "g" | "gb" | "gi" | "gib" => "Gi",
        "t" | "tb" | "ti" | "tib" => "Ti",
        "p" | "pb" | "pi" | "pib" => "Pi",
        "b" | "byte" | "bytes" | "core" | "cores" | "cpu" | "cpus" | "vcpu" | "vcpus" => "",
        "millicore" | "millicores" | "mcpu" | "mc" => "m",
        _ => return None,
    };
    let fixed = format!("{number}{suffix}");
    (fixed != t && parse(&fixed).is_ok()).then_some(fixed)
}

/// `1234567` -> `1,234,567`: a whole number's digits grouped by three with commas.
pub fn group_thousands(n: u128) -> String {
    let digits = n.to_string();
    // The first group takes 1 to 3 digits, the others 3 (ASCII digits: byte slicing is safe).
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    out.push_str(&digits[..head]);
    for chunk in digits.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.extend(chunk.iter().map(|&b| char::from(b)));
    }
    out
}

/// `n / 10^places` rounded half up to at most `places` decimals, trailing zeros trimmed, the
/// whole part grouped by thousands (`4000185, 2` -> `40,001.85`).
fn grouped_decimal(n: u128, places: u32) -> String {
    let scale = 10u128.pow(places);
    let mut out = group_thousands(n / scale);
    let fraction = n % scale;
    if fraction != 0 {
        use std::fmt::Write;
        let _ = write!(out, ".{fraction:0width$}", width = places as usize);
        while out.ends_with('0') {
            out.pop();
        }
    }
    out
}

/// CPU on the page, one rule everywhere (totals, tables, bars, compare): always in cores, at
/// most two decimals rounded half up, thousands separators: `0.53 cores` (525m), `1 core`,
/// `40,001.85 cores`. A non-zero figure below 0.005 cores reads `< 0.01 cores`, never `0`.
pub fn display_cores(millicores: i64) -> String {
    let sign = if millicores < 0 { "-" } else { "" };
    let m = u128::from(millicores.unsigned_abs());
    if m == 0 {
        return "0 cores".into();
    }
    let hundredths = (m + 5) / 10;
    if hundredths == 0 {
        return format!("{sign}< 0.01 cores");
    }
    let word = if hundredths == 100 { "core" } else { "cores" };
    format!("{sign}{} {word}", grouped_decimal(hundredths, 2))
}

/// Memory and storage on the page, one rule everywhere: MiB below one GiB, GiB from one GiB up
/// (never TiB: figures stay comparable side by side), at most two decimals rounded half up,
/// thousands separators: `512 MiB`, `4.63 GiB`, `1,536 GiB`. Below one MiB: `KiB` or `B`.
pub fn display_bytes(bytes: i64) -> String {
    const KIB: u128 = 1 << 10;
    const MIB: u128 = 1 << 20;
    const GIB: u128 = 1 << 30;
    let sign = if bytes < 0 { "-" } else { "" };
    let b = u128::from(bytes.unsigned_abs());
    let in_unit = |unit: u128| (b * 100 + unit / 2) / unit;
    let (hundredths, name) = if b < KIB {
        (b * 100, "B")
    } else if in_unit(MIB) < 100 {
        (in_unit(KIB), "KiB")
    } else if in_unit(GIB) < 100 {
        (in_unit(MIB), "MiB")
    } else {
        (in_unit(GIB), "GiB")
    };
    format!("{sign}{} {name}", grouped_decimal(hundredths, 2))
}

/// CPU and memory together: what a pod requests or a node offers (millicores, bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Resources {
    pub cpu_millicores: i64,
    pub memory_bytes: i64,
}

impl Resources {
    pub(crate) fn times(self, n: i64) -> Resources {
        Resources {
            cpu_millicores: self.cpu_millicores.saturating_mul(n),
            memory_bytes: self.memory_bytes.saturating_mul(n),
        }
    }
    pub(crate) fn plus(self, o: Resources) -> Resources {
        Resources {
            cpu_millicores: self.cpu_millicores.saturating_add(o.cpu_millicores),
            memory_bytes: self.memory_bytes.saturating_add(o.memory_bytes),
        }
    }
    /// The larger of each figure.
    pub(crate) fn max(self, o: Resources) -> Resources {
        Resources {
            cpu_millicores: self.cpu_millicores.max(o.cpu_millicores),
            memory_bytes: self.memory_bytes.max(o.memory_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// `human_cpu` and `human_bytes` as first written, with their `trimmed_decimal`.
    mod by_format {
        use super::super::{Format, Quantity, BINARY_SUFFIXES, NANO};

        /// `Quantity::canonical` as it was written before its `i64` fast path.
        pub fn canonical(q: &Quantity) -> String {
            if q.nanos == 0 {
                return "0".to_string();
            }
            let binary_whole =
                q.nanos.unsigned_abs() >= 1024 * NANO.unsigned_abs() && q.nanos % NANO == 0;
            if q.format == Format::BinarySI && binary_whole {
                let mut mantissa = q.nanos / NANO;
                let mut power = 0;
                while power < BINARY_SUFFIXES.len() - 1 && mantissa % 1024 == 0 {
                    mantissa /= 1024;
                    power += 1;
                }
                return format!("{mantissa}{}", BINARY_SUFFIXES[power]);
            }
            let mut mantissa = q.nanos;
            let mut exponent: i32 = -9;
            while mantissa % 10 == 0 {
                mantissa /= 10;
                exponent += 1;
            }
            let down = exponent.rem_euclid(3);
            mantissa *= 10i128.pow(down as u32);
            exponent -= down;
            if q.format == Format::DecimalExponent {
                return if exponent == 0 {
                    mantissa.to_string()
                } else {
                    format!("{mantissa}e{exponent}")
                };
            }
            if exponent > 18 {
                mantissa *= 10i128.pow((exponent - 18) as u32);
                exponent = 18;
            }
            format!("{mantissa}{}", super::super::decimal_suffix(exponent))
        }

        fn trimmed_decimal(n: u128, places: u32) -> String {
            let scale = 10u128.pow(places);
            let (whole, fraction) = (n / scale, n % scale);
            if fraction == 0 {
                return whole.to_string();
            }
            let digits = format!("{fraction:0width$}", width = places as usize);
            format!("{whole}.{}", digits.trim_end_matches('0'))
        }

        pub fn human_cpu(millicores: i64) -> String {
            let sign = if millicores < 0 { "-" } else { "" };
            let magnitude = u128::from(millicores.unsigned_abs());
            if magnitude < 1000 {
                return format!("{sign}{magnitude}m");
            }
            let word = if magnitude == 1000 { "core" } else { "cores" };
            format!("{sign}{} {word}", trimmed_decimal(magnitude, 3))
        }

        pub fn human_bytes(bytes: i64) -> String {
            const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
            let sign = if bytes < 0 { "-" } else { "" };
            let magnitude = u128::from(bytes.unsigned_abs());
            if magnitude < 1024 {
                return format!("{sign}{magnitude} B");
            }
            let mut unit_index = 0;
            while unit_index + 1 < UNITS.len() && magnitude >= 1u128 << (10 * (unit_index + 2)) {
                unit_index += 1;
            }
            let hundredths = |unit: u128| (magnitude * 100 + unit / 2) / unit;
            let mut unit = 1u128 << (10 * (unit_index + 1));
            let mut rounded = hundredths(unit);
            if rounded >= 1024 * 100 && unit_index + 1 < UNITS.len() {
                unit_index += 1;
                unit <<= 10;
                rounded = hundredths(unit);
            }
            format!(
                "{sign}{} {}",
                trimmed_decimal(rounded, 2),
                UNITS[unit_index]
            )
        }
    }

    #[test]
    fn near_miss_units_suggest_the_kubernetes_suffix() {
        let s = |t: &str| suggest_quantity(t);
        assert_eq!(s("5Gb").as_deref(), Some("5Gi"));
        assert_eq!(s("5GB").as_deref(), Some("5Gi"));
        assert_eq!(s("5gi").as_deref(), Some("5Gi"));
        assert_eq!(s("5 GiB").as_deref(), Some("5Gi"));
        assert_eq!(s("1.5G b"), None);
        assert_eq!(s("512mb").as_deref(), Some("512Mi"));
        assert_eq!(s("1K").as_deref(), Some("1Ki"));
        assert_eq!(s("2 cores").as_deref(), Some("2"));
        assert_eq!(s("500 millicores").as_deref(), Some("500m"));
        // Valid already, or nothing close: no suggestion.
        assert_eq!(s("5Gi"), None);
        assert_eq!(s("500m"), None);
        assert_eq!(s("abc"), None);
        assert_eq!(s("-1"), None);
        assert_eq!(s("1e99"), None);
        assert_eq!(s(""), None);
    }

    #[test]
    fn display_cores_one_unit_two_decimals_grouped() {
        assert_eq!(display_cores(0), "0 cores");
        assert_eq!(display_cores(1), "< 0.01 cores");
        assert_eq!(display_cores(5), "0.01 cores");
        assert_eq!(display_cores(525), "0.53 cores");
        assert_eq!(display_cores(500), "0.5 cores");
        assert_eq!(display_cores(1000), "1 core");
        assert_eq!(display_cores(1250), "1.25 cores");
        assert_eq!(display_cores(2350), "2.35 cores");
        assert_eq!(display_cores(33_250), "33.25 cores");
        assert_eq!(display_cores(40_001_850), "40,001.85 cores");
        assert_eq!(display_cores(1_234_567_000), "1,234,567 cores");
        assert_eq!(display_cores(-5650), "-5.65 cores");
        assert_eq!(display_cores(i64::MIN), "-9,223,372,036,854,775.81 cores");
    }

    #[test]
    fn display_bytes_mib_below_a_gib_then_gib_grouped() {
        assert_eq!(display_bytes(0), "0 B");
        assert_eq!(display_bytes(512), "512 B");
        assert_eq!(display_bytes(1536), "1.5 KiB");
        assert_eq!(display_bytes(128 << 20), "128 MiB");
        assert_eq!(display_bytes(512 << 20), "512 MiB");
        // 1023.999 MiB rounds to 1024 MiB: one GiB.
        assert_eq!(display_bytes((1 << 30) - 1), "1 GiB");
        assert_eq!(display_bytes(4_966_055_936), "4.63 GiB");
        assert_eq!(display_bytes(110 << 30), "110 GiB");
        assert_eq!(display_bytes(1536 << 30), "1,536 GiB");
        assert_eq!(display_bytes(-(108 << 30) - (512 << 20)), "-108.5 GiB");
        assert_eq!(display_bytes(i64::MAX), "8,589,934,592 GiB");
    }

    #[test]
    fn thousands_grouped_by_three() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(123_456_789), "123,456,789");
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// Written into one string, the same text as through `format!`s.
        #[test]
        fn human_figures_as_by_format(
            n in proptest::prop_oneof![
                proptest::prelude::any::<i64>(),
                -5000i64..5000,
                (0i64..1 << 20).prop_map(|m| m * 1000),
                (0i64..4096).prop_map(|m| m << 20),
                (0i64..4096).prop_map(|m| (m << 30) + 7),
            ]
        ) {
            proptest::prop_assert_eq!(human_cpu(n), by_format::human_cpu(n));
            proptest::prop_assert_eq!(human_bytes(n), by_format::human_bytes(n));
        }

        /// The integer way of parsing gives what the digit-by-digit way gives, wherever it
        /// answers (and it answers for every figure of a few digits).
        #[test]
        fn small_numbers_parse_as_digit_by_digit(
            negative in proptest::prelude::any::<bool>(),
            int_part in "[0-9]{0,40}",
            frac_part in proptest::option::of("[0-9]{0,40}"),
            suffix in proptest::prop_oneof![
                proptest::sample::select(vec![
                    "", "n", "u", "m", "k", "M", "G", "T", "P", "E",
                    "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
                ]).prop_map(str::to_string),
                (-45i64..45).prop_map(|e| format!("e{e}")),
            ],
        ) {
            let (int_b, frac_b) = (int_part.as_bytes(), frac_part.as_deref().unwrap_or("").as_bytes());
            let s = interpret_suffix(&suffix).unwrap();
            let small = parse_small(negative, int_b, frac_b, &s);
            let digits = Quantity::parse_digits(negative, int_b, frac_b, s);
            if int_b.len() + frac_b.len() <= 18 {
                proptest::prop_assert!(small.is_some(), "{int_part}.{frac_part:?}{suffix}");
            }
            if let Some(small) = small {
                proptest::prop_assert_eq!(
                    small.map(|q| (q.nanos, q.format)),
                    digits.map(|q| (q.nanos, q.format)),
                    "{}.{:?}{}", int_part, frac_part, suffix
                );
            }
        }

        /// The canonical text through `i64` is the text through `i128` alone.
        #[test]
        fn canonical_as_by_format(
            nanos in proptest::prop_oneof![
                proptest::prelude::any::<i128>().prop_filter("in range", |n| *n != i128::MIN),
                proptest::prelude::any::<i64>().prop_map(i128::from),
                (-5000i128..5000).prop_map(|n| n * NANO),
                (0i128..1 << 20).prop_map(|m| m * 1_000_000),
                (0i128..4096).prop_map(|m| (m << 30) * NANO),
                (0i128..1 << 40).prop_map(|m| m * 1000 * NANO),
            ],
            format in proptest::sample::select(vec![
                Format::DecimalSI, Format::BinarySI, Format::DecimalExponent,
            ]),
        ) {
            let q = Quantity { nanos, format };
            proptest::prop_assert_eq!(q.canonical(), by_format::canonical(&q));
        }
    }

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    /// sizing-facts.md, "Canonical forms (input -> output)".
    #[test]
    fn reference_canonical_forms() {
        let vectors = [
            ("0.5", "500m"),
            (".5", "500m"),
            ("1.5", "1500m"),
            ("1000m", "1"),
            ("0.1", "100m"),
            ("-1.5", "-1500m"),
            ("0.0001", "100u"),
            ("3.001n", "4n"),
            (".001Ki", "1024m"),
            ("1.5Gi", "1536Mi"),
            ("1.50Gi", "1536Mi"),
            ("0.5Mi", "512Ki"),
            ("0.75Gi", "768Mi"),
            ("1024Mi", "1Gi"),
            ("1000M", "1G"),
            ("1000", "1k"),
            ("1000000", "1M"),
            ("1024", "1024"),
            ("1.5k", "1500"),
            ("1.5G", "1500M"),
            ("129e6", "129e6"),
            ("1.2e3", "1200"),
            ("1.3E+6", "1300e3"),
            ("1.1Gi", "1181116006400m"),
            ("0.05Gi", "53687091200m"),
        ];
        for (input, expected) in vectors {
            let got = Quantity::parse(input).map(|q| q.to_string());
            assert_eq!(got.as_deref(), Ok(expected), "canonical form of {input:?}");
        }
    }

    /// sizing-facts.md, "Sums".
    #[test]
    fn reference_sums() {
        let vectors = [
            ("1Gi", "512Mi", "1536Mi"),
            ("500m", "1.5", "2"),
            ("1G", "1Gi", "2073741824"),
        ];
        for (a, b, expected) in vectors {
            let sum = q(a).checked_add(q(b)).map(|s| s.to_string());
            assert_eq!(sum.as_deref(), Some(expected), "{a} + {b}");
        }
    }

    #[test]
    fn add_operator_matches_checked_add() {
        for (a, b, expected) in [
            ("1Gi", "512Mi", "1536Mi"),
            ("500m", "1.5", "2"),
            ("1G", "1Gi", "2073741824"),
        ] {
            assert_eq!((q(a) + q(b)).to_string(), expected, "{a} + {b}");
        }
    }

    /// sizing-facts.md, "Rejected".
    #[test]
    fn reference_rejected() {
        let vectors = [
            "", " 1", "1 ", "1Gb", "1GB", "1gi", "1K", "1kb", "0.1mi", "1i", "1e", "1m5", "1.1.M",
            "0x10", "1_000",
        ];
        for input in vectors {
            let got = Quantity::parse(input);
            assert!(got.is_err(), "{input:?} should be rejected, got {got:?}");
        }
    }

    /// apimachinery quantity_test.go `invalid`, plus digitless numbers (stricter than apimachinery)
    /// and other malformed text.
    #[test]
    fn other_rejected() {
        let vectors = [
            "1+1.0M", "0.1am", "aoeu", ".5i", "-3.01i", "-3.01e-", ".", "-", "+", "-.", "Ki", "m",
            "e3", "+-1", "--1", "1e+-3", "1e3.5", "1e 3", "1E3i", "1Ee3", "1e+", "1.5.", "１",
            "1\n", "\t1", "1,5", "1e0x1", "NaN", "inf", "1Mi1",
        ];
        for input in vectors {
            let got = Quantity::parse(input);
            assert!(got.is_err(), "{input:?} should be rejected, got {got:?}");
        }
    }

    #[test]
    fn error_messages() {
        let e = Quantity::parse("2Gx").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid quantity \"2Gx\": expected a number with an optional suffix \
             (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like e3), e.g. 500m, 1.5, 2Gi"
        );
        assert_eq!((e.input(), e.kind()), ("2Gx", QuantityErrorKind::Syntax));

        let e = Quantity::parse("").unwrap_err();
        assert_eq!(e.kind(), QuantityErrorKind::Empty);
        assert!(
            e.to_string()
                .starts_with("invalid quantity \"\": it is empty; expected a number"),
            "{e}"
        );

        let e = Quantity::parse(" 1").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid quantity \" 1\": expected"),
            "{e}"
        );

        let e = Quantity::parse("1e40").unwrap_err();
        assert_eq!(e.kind(), QuantityErrorKind::OutOfRange);
        assert!(
            e.to_string()
                .starts_with("invalid quantity \"1e40\": its magnitude"),
            "{e}"
        );
        assert!(e.to_string().ends_with("e.g. 500m, 1.5, 2Gi"), "{e}");

        let long = "9".repeat(500) + "x";
        let shown = Quantity::parse(&long).unwrap_err().to_string();
        assert!(shown.len() < 300, "{shown}");

        let boxed: Box<dyn std::error::Error> = Box::new(Quantity::parse("1K").unwrap_err());
        assert!(boxed.to_string().contains("\"1K\""));
    }

    /// apimachinery quantity_test.go, TestQuantityParseEmit (and its negated pass).
    #[test]
    fn apimachinery_parse_emit() {
        let vectors = [
            ("1Ki", "1Ki"),
            ("1Mi", "1Mi"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1000M", "1G"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000001Ki", "1024n"),
            (".000000000001Ki", "2n"),
        ];
        for (input, expected) in vectors {
            assert_eq!(
                q(input).to_string(),
                expected,
                "canonical form of {input:?}"
            );
            let negative = format!("-{input}");
            assert_eq!(
                q(&negative).to_string(),
                format!("-{expected}"),
                "{negative:?}"
            );
        }
    }

    /// apimachinery quantity_test.go, TestQuantityString: canonical strings parse back to
    /// themselves, and the alternates canonicalize to them.
    #[test]
    fn apimachinery_string_vectors() {
        let vectors = [
            ("1Gi", "1024Mi"),
            ("300Mi", "307200Ki"),
            ("6Ki", ""),
            ("1001Gi", "1025024Mi"),
            ("1Ti", "1024Gi"),
            ("5", "5000m"),
            ("500m", "0.5"),
            ("1G", "1000M"),
            ("1G", "0.001T"),
            ("1m", "1000u"),
            ("80m", ""),
            ("1080m", "1.08"),
            ("1080m", "1080000000n"),
            ("300M", ""),
            ("1T", ""),
            ("1234567M", ""),
            ("1234567m", ""),
            ("3k", ""),
            ("1025", ""),
            ("0", "00"),
            ("1e9", ".001e12"),
            ("1e-3", "0.001e0"),
            ("1e-9", "1000e-12"),
            ("80e-3", ""),
            ("300e6", ""),
            ("1e12", ""),
            ("3e3", ""),
            ("1n", ""),
            ("80n", ""),
            ("1080n", ""),
            ("1u", ""),
            ("80u", ""),
            ("1080u", ""),
        ];
        for (canonical, alternate) in vectors {
            assert_eq!(
                q(canonical).to_string(),
                canonical,
                "{canonical:?} is canonical"
            );
            if !alternate.is_empty() {
                assert_eq!(
                    q(alternate).to_string(),
                    canonical,
                    "canonical form of {alternate:?}"
                );
            }
        }
    }

    /// apimachinery quantity_test.go, TestQuantityParse: values (in nano-units) and formats.
    #[test]
    fn apimachinery_parse_values() {
        use Format::*;
        let g = 1_000_000_000i128;
        let vectors = [
            ("0", 0, DecimalSI),
            ("0n", 0, DecimalSI),
            ("0Ki", 0, BinarySI),
            ("0M", 0, DecimalSI),
            ("1Ki", 1024 * g, BinarySI),
            ("7Mi", (7 << 20) * g, BinarySI),
            ("3Ei", (3 << 60) * g, BinarySI),
            ("5n", 5, DecimalSI),
            ("4u", 4_000, DecimalSI),
            ("50k", 50_000 * g, DecimalSI),
            ("1E", 1_000_000_000_000_000_000 * g, DecimalSI),
            ("1E-3", 1_000_000, DecimalExponent),
            ("1E6", 1_000_000 * g, DecimalExponent),
            ("100.035k", 100_035 * g, DecimalSI),
            ("0.0005k", g / 2, DecimalSI),
            ("0.5e-2", 5_000_000, DecimalExponent),
            ("1.40e9", 1_400_000_000 * g, DecimalExponent),
            ("6.987654321G", 6_987_654_321 * g, DecimalSI),
            ("1.01E", 1_010_000_000_000_000_000 * g, DecimalSI),
            ("3.001n", 4, DecimalSI),
            ("1.1E-9", 2, DecimalExponent),
            ("0.0000000001", 1, DecimalSI),
            ("0.00000000050", 1, DecimalSI),
            ("0.5e-9", 1, DecimalExponent),
            ("0.9n", 1, DecimalSI),
            ("0.00000012345", 124, DecimalSI),
            ("9Ei", i64::MAX as i128 * g, BinarySI),
            ("9223372036854775807Ki", i64::MAX as i128 * g, BinarySI),
            ("12E", 12_000_000_000_000_000_000 * g, DecimalSI),
            ("100.035Ki", 102_435_840_000_000, BinarySI),
            ("0.025Ti", 27_487_790_694_400_000_000, BinarySI),
            ("0.000000000001Ki", 2, DecimalSI),
            ("1.", g, DecimalSI),
            ("1.G", g * g, DecimalSI),
        ];
        for (input, nanos, format) in vectors {
            let got = q(input);
            assert_eq!((got.nanos(), got.format()), (nanos, format), "{input:?}");
            // apimachinery also checks the negated and the explicitly positive spelling.
            let neg = q(&format!("-{input}"));
            assert_eq!((neg.nanos(), neg.format()), (-nanos, format), "-{input}");
            let pos = q(&format!("+{input}"));
            assert_eq!((pos.nanos(), pos.format()), (nanos, format), "+{input}");
        }
    }

    #[test]
    fn rounding_is_away_from_zero() {
        for (input, nanos) in [
            ("3.001n", 4),
            ("-3.001n", -4),
            ("0.1n", 1),
            ("-0.1n", -1),
            ("1e-300", 1),
            ("-1e-9223372036854775808", -1),
            (
                "0.0000000000000000000000000000000000000000000000000000001",
                1,
            ),
            ("1.0000000001", 1_000_000_001),
            (
                "1.00000000000000000000000000000000000000000000001",
                1_000_000_001,
            ),
            (
                "1.000000000000000000000000000000000000000000000000",
                1_000_000_000,
            ),
        ] {
            assert_eq!(q(input).nanos(), nanos, "{input:?}");
        }
    }

    #[test]
    fn binary_cap_and_i128_overflow() {
        // Binary-SI is capped like apimachinery; anything beyond i128 nano-units is an error.
        assert_eq!(q("8Ei").to_string(), "9223372036854775807");
        assert_eq!(q("-100Ei").to_string(), "-9223372036854775807");
        assert_eq!(q("7.99Ei").format(), Format::BinarySI);
        for input in [
            "1e40",
            "200000000000000000000000000000",
            "-200000000000000000000000000000",
            "1e9223372036854775807",
            "1e9223372036854775808",
            "1e-9223372036854775809",
            "170141183460469231731687303716",
            "999999999999999999999999999999999999999999999999999Ei",
        ] {
            let got = Quantity::parse(input);
            assert_eq!(
                got.map_err(|e| e.kind()),
                Err(QuantityErrorKind::OutOfRange),
                "{input:?}"
            );
        }
        // The largest representable magnitude, and exponents that leave a zero alone.
        let max = q("170141183460469231731687303715.884105727");
        assert_eq!(max.nanos(), i128::MAX);
        assert_eq!(q(&max.to_string()), max);
        assert_eq!(q(&(-max).to_string()).nanos(), -i128::MAX);
        assert!(q("0e9223372036854775807").is_zero());
        assert_eq!(q("1000E").to_string(), "1000E");
        assert_eq!(q("1e21").to_string(), "1e21");
    }

    #[test]
    fn formats_follow_the_suffix() {
        for (input, format) in [
            ("1", Format::DecimalSI),
            ("1m", Format::DecimalSI),
            ("1E", Format::DecimalSI),
            ("1Ki", Format::BinarySI),
            ("0.5Ki", Format::BinarySI),
            ("0.5e3", Format::DecimalExponent),
            ("1e0", Format::DecimalExponent),
            ("0.0001Ki", Format::DecimalSI), // under 1: becomes decimal, like apimachinery
            ("-0.0001Ki", Format::DecimalSI),
        ] {
            assert_eq!(q(input).format(), format, "{input:?}");
        }
    }

    #[test]
    fn zero_prints_as_zero() {
        for input in [
            "0", "-0", "+0", "0.0", "0Ki", "0e5", "000", ".0", "0.", "-0.000n",
        ] {
            assert_eq!(q(input).to_string(), "0", "{input:?}");
        }
        assert_eq!(Quantity::ZERO.to_string(), "0");
        assert_eq!(Quantity::default(), Quantity::ZERO);
    }

    #[test]
    fn display_honours_padding() {
        assert_eq!(
            format!("{:>6}|{:<6}|", q("1Gi"), q("500m")),
            "   1Gi|500m  |"
        );
    }

    #[test]
    fn accessors() {
        for (input, milli, value) in [
            ("500m", 500, 1),
            ("1.5", 1500, 2),
            ("1", 1000, 1),
            ("1Gi", 1_073_741_824_000, 1_073_741_824),
            ("0.1m", 1, 1),
            ("1n", 1, 1),
            ("0", 0, 0),
            ("-1.5", -1500, -2),
            ("-0.1m", -1, -1),
            ("1e28", i64::MAX, i64::MAX),
            ("-1e28", i64::MIN, i64::MIN),
            ("9223372036854775807", i64::MAX, i64::MAX),
        ] {
            let got = q(input);
            assert_eq!(
                (got.milli_value(), got.value()),
                (milli, value),
                "{input:?}"
            );
        }
        assert_eq!(Quantity::from_millis(2350).to_string(), "2350m");
        assert_eq!(Quantity::from_millis(2000).to_string(), "2");
        assert_eq!(Quantity::from_millis(-1).format(), Format::DecimalSI);
        assert_eq!(Quantity::from_bytes(1 << 30).to_string(), "1Gi");
        assert_eq!(Quantity::from_bytes(512).to_string(), "512");
        assert_eq!(Quantity::from_bytes(512).format(), Format::BinarySI);
        assert_eq!(Quantity::from_bytes(i64::MAX).value(), i64::MAX);
        assert_eq!(Quantity::from_millis(i64::MIN).milli_value(), i64::MIN);
        assert!(q("-1n").is_negative() && !q("0").is_negative() && !q("1").is_negative());
        assert!(q("0Ki").is_zero() && !q("1n").is_zero());
        assert_eq!(q("1k").nanos(), 1_000_000_000_000);
        assert_eq!(Quantity::from_nanos(i128::MIN, Format::DecimalSI), None);
        assert_eq!(
            Quantity::from_nanos(5, Format::DecimalExponent).map(|x| x.to_string()),
            Some("5e-9".to_string())
        );
    }

    #[test]
    fn arithmetic() {
        // The left operand's format, unless it is zero (apimachinery Add/Sub).
        assert_eq!(
            q("1Gi").checked_sub(q("512Mi")).unwrap().to_string(),
            "512Mi"
        );
        assert_eq!(q("1").checked_sub(q("1.5")).unwrap().to_string(), "-500m");
        assert_eq!(q("0").checked_add(q("1Gi")).unwrap().to_string(), "1Gi");
        assert_eq!(q("0").checked_sub(q("1Gi")).unwrap().to_string(), "-1Gi");
        assert_eq!(q("100m").checked_add(q("0")).unwrap().to_string(), "100m");
        assert_eq!(
            q("1Gi").checked_add(q("0")).unwrap().format(),
            Format::BinarySI
        );
        assert_eq!((Quantity::ZERO + q("1Gi")).to_string(), "1Gi");
        assert_eq!(q("10").checked_add(q("1Ki")).unwrap().to_string(), "1034");
        assert_eq!(q("10Ki").checked_add(q("1k")).unwrap().to_string(), "11240");
        assert_eq!(q("512Mi").checked_mul(3).unwrap().to_string(), "1536Mi");
        assert_eq!(q("250m").checked_mul(-4).unwrap().to_string(), "-1");
        assert_eq!(q("1").checked_mul(0).unwrap().to_string(), "0");
        let total: Quantity = ["256Mi", "512Mi", "256Mi"].iter().map(|s| q(s)).sum();
        assert_eq!(total.to_string(), "1Gi");
        let mut acc = q("1");
        acc += q("500m");
        acc -= q("250m");
        assert_eq!(acc.to_string(), "1250m");
        assert_eq!((-q("1.5Gi")).to_string(), "-1536Mi");
        assert_eq!((q("1") - q("2")).to_string(), "-1");

        // Overflow: checked gives None, the operators saturate, nothing panics.
        let max = Quantity::from_nanos(i128::MAX, Format::DecimalSI).unwrap();
        let min = -max;
        assert_eq!(max.checked_add(q("1n")), None);
        assert_eq!(min.checked_sub(q("1n")), None);
        assert_eq!(min.checked_sub(q("0")), Some(min));
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(max.checked_mul(-1), Some(min));
        assert_eq!(min.checked_mul(i64::MIN), None);
        assert_eq!((max + max).nanos(), i128::MAX);
        assert_eq!((min + min).nanos(), -i128::MAX);
        assert_eq!((min - max).nanos(), -i128::MAX);
        assert_eq!([max, max, min].into_iter().sum::<Quantity>().nanos(), 0);
    }

    #[test]
    fn ordering_equality_and_hash_ignore_the_format() {
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1k"), q("1e3"));
        assert_eq!(q("500m"), q("0.5"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("-1") < q("1n"));
        assert!(q("999m") < q("1"));
        let set: HashSet<Quantity> = ["1Gi", "1024Mi", "1073741824", "1G", "1e9"]
            .iter()
            .map(|s| q(s))
            .collect();
        assert_eq!(set.len(), 2);
        let mut sorted = [q("2Gi"), q("1"), q("500m"), q("-1"), q("1Ki")];
        sorted.sort();
        let texts: Vec<String> = sorted.iter().map(|x| x.to_string()).collect();
        assert_eq!(texts, ["-1", "500m", "1", "1Ki", "2Gi"]);
    }

    #[test]
    fn serde_json() {
        assert_eq!(serde_json::to_string(&q("1.5Gi")).unwrap(), "\"1536Mi\"");
        assert_eq!(serde_json::to_string(&q("0.5")).unwrap(), "\"500m\"");
        for (json, expected) in [
            ("\"500m\"", "500m"),
            ("\"2Gi\"", "2Gi"),
            ("1", "1"),
            ("0.5", "500m"),
            ("-2", "-2"),
            ("2.35", "2350m"),
            ("1e3", "1k"),
            ("0.1", "100m"),
            ("18446744073709551615", "18446744073709551615"),
        ] {
            let got: Quantity =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(got.to_string(), expected, "{json}");
        }
        let e = serde_json::from_str::<Quantity>("\"2Gx\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&Quantity::parse("2Gx").unwrap_err().to_string()),
            "{e}"
        );
        let e = serde_json::from_str::<Quantity>("true")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a Kubernetes quantity"), "{e}");
    }

    #[test]
    fn serde_yaml() {
        #[derive(Debug, serde::Deserialize, serde::Serialize)]
        struct Resources {
            cpu: Quantity,
            memory: Quantity,
        }
        for (yaml, cpu, memory) in [
            ("cpu: 1\nmemory: 1Gi\n", "1", "1Gi"),
            ("cpu: 0.5\nmemory: \"512Mi\"\n", "500m", "512Mi"),
            ("cpu: 250m\nmemory: 1073741824\n", "250m", "1073741824"),
            ("cpu: '2'\nmemory: 1.5Gi\n", "2", "1536Mi"),
            ("cpu: .5\nmemory: 1e3\n", "500m", "1k"),
        ] {
            let r: Resources = serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(
                (r.cpu.to_string(), r.memory.to_string()),
                (cpu.into(), memory.into()),
                "{yaml}"
            );
        }
        let out = serde_yaml::to_string(&Resources {
            cpu: q("0.25"),
            memory: q("0.5Gi"),
        })
        .unwrap();
        assert_eq!(out, "cpu: 250m\nmemory: 512Mi\n");
        let e = serde_yaml::from_str::<Resources>("cpu: 1GB\nmemory: 1Gi\n").unwrap_err();
        assert!(
            e.to_string().contains("invalid quantity \"1GB\": expected"),
            "{e}"
        );
        let e = serde_yaml::from_str::<Resources>("cpu: .nan\nmemory: 1Gi\n").unwrap_err();
        assert!(e.to_string().contains("invalid quantity \"NaN\""), "{e}");
    }

    #[test]
    fn human_cpu_vectors() {
        for (millicores, expected) in [
            (0, "0m"),
            (1, "1m"),
            (500, "500m"),
            (999, "999m"),
            (1000, "1 core"),
            (1001, "1.001 cores"),
            (1500, "1.5 cores"),
            (2000, "2 cores"),
            (2350, "2.35 cores"),
            (4700, "4.7 cores"),
            (16000, "16 cores"),
            (-250, "-250m"),
            (-1000, "-1 core"),
            (i64::MIN, "-9223372036854775.808 cores"),
            (i64::MAX, "9223372036854775.807 cores"),
        ] {
            assert_eq!(human_cpu(millicores), expected, "human_cpu({millicores})");
        }
    }

    #[test]
    fn human_bytes_vectors() {
        const KI: i64 = 1024;
        const MI: i64 = KI * 1024;
        const GI: i64 = MI * 1024;
        for (bytes, expected) in [
            (0, "0 B"),
            (512, "512 B"),
            (1023, "1023 B"),
            (KI, "1 KiB"),
            (1536, "1.5 KiB"),
            (512 * MI, "512 MiB"),
            (GI, "1 GiB"),
            (4 * GI + 640 * MI, "4.63 GiB"), // 4.625 GiB, rounded half up
            (9 * GI + 256 * MI, "9.25 GiB"),
            (110 * GI, "110 GiB"),
            (GI + 5 * MI, "1 GiB"),    // 1.0049 GiB
            (GI + 6 * MI, "1.01 GiB"), // 1.0059 GiB
            (1024 * MI - 1, "1 GiB"),  // 1023.99999 MiB rounds to 1024 MiB
            (1020 * MI, "1020 MiB"),
            (1024 * 1024 * GI, "1 PiB"),
            (-3 * GI / 2, "-1.5 GiB"),
            (i64::MAX, "8 EiB"),
            (i64::MIN, "-8 EiB"),
        ] {
            assert_eq!(human_bytes(bytes), expected, "human_bytes({bytes})");
        }
    }

    /// A small deterministic generator (64-bit LCG, Knuth's MMIX constants).
    struct Lcg(u64);

    impl Lcg {
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 11
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next_u64() % n
        }
    }

    /// The format family a canonical text reads back as.
    fn family_of(text: &str) -> Format {
        if text.ends_with('i') {
            Format::BinarySI
        } else if text.contains('e') {
            Format::DecimalExponent
        } else {
            Format::DecimalSI
        }
    }

    /// For generated quantities, print -> parse keeps the value, and the format whenever the
    /// canonical text can carry it (binary-SI only with a binary suffix, i.e. whole multiples of
    /// 1024 bytes; decimal-exponent only with a non-zero exponent); otherwise it reads back in
    /// the text's own family, as in apimachinery. Canonical texts are fixed points, except a
    /// whole binary-SI number of bytes that is no multiple of 1024: it prints as a plain integer
    /// (`50000000`), which reads back as decimal-SI and then prints as `50M`.
    #[test]
    fn property_format_then_parse_is_identity() {
        let mut rng = Lcg(0x05ee_d0f7_011a_9e00);
        let formats = [Format::DecimalSI, Format::BinarySI, Format::DecimalExponent];
        for i in 0..600 {
            let format = formats[i % 3];
            let bits = 1 + rng.below(40);
            let mantissa = i128::from(rng.below(1 << bits));
            let nanos = match rng.below(4) {
                0 => mantissa * 10i128.pow(rng.below(19) as u32),
                1 => (mantissa << (10 * rng.below(6))) * NANO,
                2 => mantissa,
                _ => i128::from(rng.next_u64()) * i128::from(rng.next_u64()),
            };
            let nanos = if format == Format::BinarySI {
                nanos.min(BINARY_CAP_NANOS)
            } else {
                nanos
            };
            let nanos = if rng.below(3) == 0 { -nanos } else { nanos };
            let original = Quantity::from_nanos(nanos, format).unwrap();
            let text = original.to_string();
            let parsed = Quantity::parse(&text)
                .unwrap_or_else(|e| panic!("{original:?} printed as {text:?}: {e}"));
            assert_eq!(parsed.nanos(), nanos, "value of {original:?} via {text:?}");
            assert_eq!(parsed.format(), family_of(&text), "format of {text:?}");
            let keeps_family = match format {
                Format::DecimalSI => true,
                Format::BinarySI => nanos % (1024 * NANO) == 0 && nanos != 0,
                Format::DecimalExponent => text.contains('e'),
            };
            let plain_bytes = format == Format::BinarySI
                && nanos % NANO == 0
                && nanos.unsigned_abs() >= 1024 * NANO.unsigned_abs();
            let again = parsed.to_string();
            if !plain_bytes {
                assert_eq!(again, text, "{text:?} is a fixed point");
            }
            assert_eq!(q(&again).to_string(), again, "{again:?} is a fixed point");
            assert_eq!(q(&again), original, "value of {original:?} via {again:?}");
            if keeps_family {
                assert_eq!(
                    parsed.format(),
                    format,
                    "format of {original:?} via {text:?}"
                );
            }
        }
    }

    /// For generated texts: parse -> print -> parse keeps the value (and the format when the
    /// printed text carries it), and the printed text is stable.
    #[test]
    fn property_parse_then_format_is_stable() {
        let mut rng = Lcg(42);
        let suffixes = [
            "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
            "e3", "e-3", "E+6", "e0", "e-9", "e12",
        ];
        for _ in 0..600 {
            let whole = rng.below(100_000);
            let fraction = rng.below(10_000);
            let sign = ["", "-", "+"][rng.below(3) as usize];
            let suffix = suffixes[rng.below(suffixes.len() as u64) as usize];
            let text = match rng.below(3) {
                0 => format!("{sign}{whole}{suffix}"),
                1 => format!("{sign}{whole}.{fraction:04}{suffix}"),
                _ => format!("{sign}.{fraction}{suffix}"),
            };
            let first = q(&text);
            let printed = first.to_string();
            let second = q(&printed);
            assert_eq!(second, first, "value of {text:?} via {printed:?}");
            assert_eq!(second.to_string(), printed, "{text:?} prints stably");
            if family_of(&printed) == first.format() {
                assert_eq!(
                    second.format(),
                    first.format(),
                    "format of {text:?} via {printed:?}"
                );
            }
        }
    }

    /// Arithmetic agrees with the values: (a + b) - b == a, and a × n == a + ... + a.
    #[test]
    fn property_arithmetic() {
        let mut rng = Lcg(7);
        for _ in 0..300 {
            let a = Quantity::from_nanos(i128::from(rng.next_u64()) - (1 << 52), Format::DecimalSI)
                .unwrap();
            let b = Quantity::from_bytes(rng.below(1 << 40) as i64);
            let sum = a.checked_add(b).unwrap();
            assert_eq!(sum.checked_sub(b), Some(a), "({a} + {b}) - {b}");
            let n = rng.below(10) as i64;
            let repeated: Quantity = std::iter::repeat_n(a, n as usize).sum();
            assert_eq!(a.checked_mul(n), Some(repeated), "{a} * {n}");
        }
    }
}
