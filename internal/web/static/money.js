// Money as BigInt base units (1 TTX = 10^8 units); never a float.

export const DECIMALS = 8;
const UNIT = 10n ** BigInt(DECIMALS);
export const MAX_UNITS = (1n << 64n) - 1n;

// parse turns a decimal TTX string ("1.5") into units, or throws an Error
// saying what is wrong.
export function parse(s) {
  s = s.trim();
  if (s === '') throw new Error('enter an amount');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) {
    throw new Error('write the amount with digits and at most one "." (e.g. 1.5)');
  }
  const frac = m[2] || '';
  if (frac.length > DECIMALS) throw new Error(`at most ${DECIMALS} decimal places`);
  const units = BigInt(m[1] || '0') * UNIT + BigInt(frac.padEnd(DECIMALS, '0'));
  if (units > MAX_UNITS) throw new Error('amount too large');
  return units;
}

// format turns units into a decimal TTX string without trailing zeros.
export function format(units) {
  const neg = units < 0n;
  if (neg) units = -units;
  const whole = units / UNIT;
  let frac = (units % UNIT).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + whole.toString() + (frac ? '.' + frac : '');
}

// group adds thin spaces between thousands of the whole part, for reading.
export function group(s) {
  const [w, f] = s.split('.');
  const g = w.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return f === undefined ? g : g + '.' + f;
}

// units reads an API amount object {"ttx", "units"}.
export function units(a) {
  return BigInt(a.units);
}
