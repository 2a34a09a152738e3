/**
 * Each country's main language (ISO 3166-1 alpha-2 → ISO 639-1), for contacts who told us nothing better. Countries
 * where no one language is most people's (Belgium, Switzerland, Canada, Luxembourg, India) are left out: a guess
 * there would write to many people in a language not theirs, so they get the campaign's default.
 */
const LANGUAGE_BY_COUNTRY: Record<string, string> = {
  ...languageOf('ar', 'AE BH DJ DZ EG IQ JO KM KW LB LY MA MR OM PS QA SA SD SO SY TN YE'),
  ...languageOf('ru', 'RU BY KZ KG'),
  ...languageOf('uk', 'UA'),
  ...languageOf('es', 'ES MX AR CO CL PE VE EC GT CU BO DO HN PY SV NI CR PA UY PR GQ'),
  ...languageOf('fr', 'FR MC SN CI ML BF NE GN TG BJ GA CG CD GP MQ GF RE YT PM BL MF NC PF WF'),
  ...languageOf('de', 'DE AT LI'),
  ...languageOf('tr', 'TR'),
  ...languageOf('pt', 'BR PT AO MZ CV GW ST'),
  ...languageOf('it', 'IT SM VA'),
  ...languageOf('en', 'GB US IE AU NZ NG GH JM TT BS BB'),
  ...languageOf('nl', 'NL SR'),
  ...languageOf('pl', 'PL'),
  ...languageOf('ro', 'RO MD'),
  ...languageOf('el', 'GR'),
  ...languageOf('he', 'IL'),
  ...languageOf('fa', 'IR'),
  ...languageOf('zh', 'CN TW'),
  ...languageOf('ja', 'JP'),
  ...languageOf('ko', 'KR'),
  ...languageOf('id', 'ID'),
  ...languageOf('vi', 'VN'),
  ...languageOf('th', 'TH'),
};

// Android reports a few languages by their withdrawn ISO 639 codes, and Viber passes them on.
const CURRENT_CODE: Record<string, string> = { iw: 'he', in: 'id', ji: 'yi' };

/**
 * The language of a contact's move notice, among the languages the campaign has texts in: the one set in their
 * Viber app, else their country's main language, else `fallback`. Regional forms ("pt-BR", "en_GB") count as their
 * language.
 */
export function contactLanguage(country: string | null, viberLanguage: string | null, available: readonly string[], fallback: string): string {
  return offered(viberLanguage, available) ?? offered(country && LANGUAGE_BY_COUNTRY[country.trim().toUpperCase()], available) ?? fallback;
}

function offered(language: string | null | undefined, available: readonly string[]): string | undefined {
  const primary = language?.trim().toLowerCase().split(/[-_]/)[0];
  if (!primary) return undefined;
  const code = CURRENT_CODE[primary] ?? primary;
  return available.find((candidate) => candidate.toLowerCase() === code);
}

function languageOf(language: string, countries: string): Record<string, string> {
  return Object.fromEntries(countries.split(' ').map((country) => [country, language]));
}
