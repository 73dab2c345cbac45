/**
 * Formats a number the way Ruby's `Float#to_s` does, which is how Canvas prints
 * `X-Rate-Limit-Remaining` and `X-Request-Cost`: the shortest round-tripping
 * digits, always with a fractional part (`700.0`, `-2.0`), in fixed notation
 * when the decimal exponent is in `-4 < e <= 16`, otherwise in exponent
 * notation with a signed two-digit exponent (`5.0e-05`, `1.0e+16`).
 *
 * @param value - Any finite number. `NaN` and infinities print as Ruby does
 *   (`NaN`, `Infinity`, `-Infinity`).
 * @returns The Ruby representation.
 *
 * @example
 * ```ts
 * formatRubyFloat(700);        // '700.0'
 * formatRubyFloat(0.00005);    // '5.0e-05'
 * formatRubyFloat(-2);         // '-2.0'
 * ```
 * @category Testing
 */
export function formatRubyFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';

  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest digits that round-trip.
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number.parseInt(exponentText, 10);
  // Ruby's `decpt`: the position of the decimal point relative to the digits.
  const decpt = exponent + 1;

  if (decpt > 0 && decpt <= 16) {
    if (digits.length <= decpt) return `${sign}${digits.padEnd(decpt, '0')}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  if (decpt <= 0 && decpt > -4) {
    return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  }
  const fraction = digits.length > 1 ? digits.slice(1) : '0';
  const expSign = exponent < 0 ? '-' : '+';
  const expDigits = String(Math.abs(exponent)).padStart(2, '0');
  return `${sign}${digits[0]}.${fraction}e${expSign}${expDigits}`;
}
