/**
 * NATS subject matching: tokens are separated by `.`, `*` matches exactly one token and
 * `>` (last token only) matches one or more remaining tokens.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  return tokensMatch(pattern.split('.'), subject.split('.'));
}

/** Same as `subjectMatches` with the pattern split once, for matchers that run per message. */
export function compileSubjectPattern(pattern: string): (subject: string) => boolean {
  // A pattern without wildcards is compared as a string: the common case stays cheap.
  if (!pattern.includes('*') && !pattern.includes('>')) return (subject) => subject === pattern;
  const tokens = pattern.split('.');
  return (subject) => tokensMatch(tokens, subject.split('.'));
}

function tokensMatch(pattern: string[], subject: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i];
    if (token === '>') return i === pattern.length - 1 && subject.length > i;
    if (i >= subject.length) return false;
    if (token !== '*' && token !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}
