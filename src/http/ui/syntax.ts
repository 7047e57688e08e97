/** What a piece of a source line is, for its colour; `text` is everything else. */
export type SyntaxKind = 'keyword' | 'string' | 'comment' | 'number' | 'text';

export interface SyntaxToken {
  kind: SyntaxKind;
  text: string;
}

interface Language {
  keywords: ReadonlySet<string>;
  lineComment: string | undefined;
  quotes: string;
}

const C_LIKE = new Set(
  (
    'abstract as async await break case catch class const continue default defer delete do else enum export extends ' +
    'false final finally fn for func function go if impl implements import in instanceof interface let loop match ' +
    'mod mut new nil null package private protected pub public readonly return self static struct super switch ' +
    'this throw trait true try type typeof undefined use var void where while yield'
  ).split(' '),
);

const SCRIPT_LIKE = new Set(
  (
    'and as assert async await break case class continue def del do done elif else end esac except export fi ' +
    'finally for from function if import in is lambda local module nil None not or pass raise require rescue ' +
    'return self then True False true false unless until while with yield'
  ).split(' '),
);

const SQL = new Set(
  'select from where insert into update delete create table alter drop join left right inner outer on group by order having limit values set and or not null as'
    .split(' ')
    .flatMap((word) => [word, word.toUpperCase()]),
);

const LANGUAGES: Record<string, Language> = {
  c: { keywords: C_LIKE, lineComment: '//', quotes: `"'\`` },
  script: { keywords: SCRIPT_LIKE, lineComment: '#', quotes: `"'` },
  sql: { keywords: SQL, lineComment: '--', quotes: `'"` },
  data: { keywords: new Set(['true', 'false', 'null']), lineComment: undefined, quotes: '"' },
};

const BY_EXTENSION: Record<string, string> = {};
for (const [family, extensions] of Object.entries({
  c: 'js jsx mjs cjs ts tsx mts cts java c h cc cpp hpp cs go rs kt kts swift php scala dart css scss',
  script: 'py rb sh bash zsh pl r yml yaml toml',
  sql: 'sql',
  data: 'json jsonc',
})) {
  for (const extension of extensions.split(' ')) BY_EXTENSION[extension] = family;
}

/** The language family of a path, by its extension; undefined for one not known (shown without colours). */
export function languageOf(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  if (dot === -1 || dot < path.lastIndexOf('/')) return undefined;
  return BY_EXTENSION[path.slice(dot + 1).toLowerCase()];
}

const WORD = /[A-Za-z_$][\w$]*/y;
const NUMBER = /\d[\w.]*/y;

/** Where a string opened at `start` ends: after its closing quote, or at the line's end. */
function stringEnd(line: string, start: number): number {
  const quote = line[start];
  let index = start + 1;
  while (index < line.length) {
    if (line[index] === '\\') index += 2;
    else if (line[index] === quote) return index + 1;
    else index += 1;
  }
  return line.length;
}

/**
 * Splits one line of source into coloured pieces: keywords, strings, line comments and numbers. Line by line, so a
 * block comment or a string over lines is not followed; a diff shows lines out of their whole file anyway.
 */
export function highlightSource(line: string, family: string | undefined): SyntaxToken[] {
  const language = family === undefined ? undefined : LANGUAGES[family];
  if (!language) return [{ kind: 'text', text: line }];
  const tokens: SyntaxToken[] = [];
  const push = (kind: SyntaxKind, text: string): void => {
    const last = tokens.at(-1);
    if (last && last.kind === kind && kind === 'text') last.text += text;
    else tokens.push({ kind, text });
  };
  let index = 0;
  while (index < line.length) {
    const char = line[index]!;
    if (language.lineComment && line.startsWith(language.lineComment, index)) {
      push('comment', line.slice(index));
      break;
    }
    if (language.quotes.includes(char)) {
      const end = stringEnd(line, index);
      push('string', line.slice(index, end));
      index = end;
      continue;
    }
    WORD.lastIndex = index;
    const word = WORD.exec(line);
    if (word) {
      push(language.keywords.has(word[0]) ? 'keyword' : 'text', word[0]);
      index += word[0].length;
      continue;
    }
    NUMBER.lastIndex = index;
    const number = NUMBER.exec(line);
    if (number) {
      push('number', number[0]);
      index += number[0].length;
      continue;
    }
    push('text', char);
    index += 1;
  }
  return tokens;
}
