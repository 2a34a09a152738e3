/** Windows-1256 bytes of the Arabic letters test fixtures use (Excel's "CSV" on Arabic Windows); Node decodes it but cannot encode it. */
const WINDOWS_1256: Record<string, number> = {
  'ا': 0xc7, 'ب': 0xc8, 'ة': 0xc9, 'ح': 0xcd, 'د': 0xcf, 'ر': 0xd1, 'س': 0xd3, 'ض': 0xd6, 'ط': 0xd8,
  'ع': 0xda, 'ف': 0xdd, 'ل': 0xe1, 'م': 0xe3, 'ن': 0xe4, 'و': 0xe6, 'ي': 0xed,
};

export function windows1256(text: string): Uint8Array {
  return Uint8Array.from([...text], (character) => {
    if (character.charCodeAt(0) < 0x80) return character.charCodeAt(0);
    const byte = WINDOWS_1256[character];
    if (byte === undefined) throw new Error(`no Windows-1256 byte in the fixture table for "${character}"`);
    return byte;
  });
}
