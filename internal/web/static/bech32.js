// bech32m (BIP 350) checking for ttx addresses: a prefix, "1", the data in
// the 32-character alphabet, and a 6-character checksum. check() tells, as
// the user types, whether an address is complete and well formed.

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32M = 0x2bc830a3;
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values) {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk ^= GEN[i];
    }
  }
  return chk >>> 0;
}

function hrpExpand(hrp) {
  const out = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

// convertBits regroups 5-bit values into bytes; null if the padding is bad.
function toBytes(data) {
  let acc = 0, bits = 0;
  const out = [];
  for (const v of data) {
    acc = (acc << 5) | v;
    bits += 5;
    while (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) return null;
  return out;
}

// check returns {ok: true, bytes} for a valid bech32m string with the given
// prefix whose data is `size` bytes, else {ok: false, partial, message}:
// partial is true while the text could still become valid by typing more.
export function check(addr, prefix, size = 32) {
  const s = addr.trim();
  if (s === '') return { ok: false, partial: true, message: '' };
  const lower = s.toLowerCase();
  if (s !== lower && s !== s.toUpperCase()) {
    return { ok: false, message: 'mixes upper and lower case' };
  }
  const want = prefix + '1';
  if (!lower.startsWith(want)) {
    if (want.startsWith(lower)) return { ok: false, partial: true, message: 'keep typing…' };
    return { ok: false, message: `a ${prefix} address starts with "${want}"` };
  }
  const rest = lower.slice(want.length);
  for (let i = 0; i < rest.length; i++) {
    if (CHARSET.indexOf(rest[i]) < 0) {
      return { ok: false, message: `"${rest[i]}" (character ${want.length + i + 1}) is not used in addresses` };
    }
  }
  const dataLen = Math.ceil((size * 8) / 5);
  const full = dataLen + 6;
  if (rest.length < full) {
    return { ok: false, partial: true, message: `keep typing… ${full - rest.length} more characters` };
  }
  if (rest.length > full) {
    return { ok: false, message: `${rest.length - full} characters too long` };
  }
  const values = [...rest].map((c) => CHARSET.indexOf(c));
  if (polymod(hrpExpand(prefix).concat(values)) !== BECH32M) {
    return { ok: false, message: 'checksum does not match: there is a typo in the address' };
  }
  const bytes = toBytes(values.slice(0, dataLen));
  if (bytes === null || bytes.length !== size) {
    return { ok: false, message: 'not a valid address (bad padding)' };
  }
  return { ok: true, bytes };
}
