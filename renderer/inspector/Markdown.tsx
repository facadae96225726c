// A small markdown renderer for layer docs: paragraphs, fenced code, inline code, **bold** and *italic*. No HTML passes through.
import type { ReactNode } from 'react';

function inline(text: string, key: string): ReactNode[] {
  const parts: ReactNode[] = [];
  const pattern = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/g;
  let last = 0;
  let index = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index;
    if (start > last) parts.push(text.slice(last, start));
    const token = match[0];
    const id = `${key}-${index++}`;
    if (token.startsWith('`')) parts.push(<code key={id}>{token.slice(1, -1)}</code>);
    else if (token.startsWith('**')) parts.push(<strong key={id}>{token.slice(2, -2)}</strong>);
    else parts.push(<em key={id}>{token.slice(1, -1)}</em>);
    last = start + token.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function Markdown({ source }: { source: string }) {
  const blocks: ReactNode[] = [];
  const lines = source.split('\n');
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length === 0) return;
    const text = paragraph.join(' ');
    const key = `p${blocks.length}`;
    if (/^[-*] /.test(paragraph[0] ?? '')) {
      blocks.push(
        <ul key={key}>
          {paragraph.map((line, index) => (
            <li key={index}>{inline(line.replace(/^[-*] /, ''), `${key}-${index}`)}</li>
          ))}
        </ul>,
      );
    } else blocks.push(<p key={key}>{inline(text, key)}</p>);
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const fence = /^```(\w*)/.exec(line);
    if (fence !== null) {
      flush();
      const code: string[] = [];
      index += 1;
      while (index < lines.length && !(lines[index] ?? '').startsWith('```')) code.push(lines[index++] ?? '');
      blocks.push(
        <pre key={`c${blocks.length}`} className={`code lang-${fence[1] ?? ''}`}>
          <code>{code.join('\n')}</code>
        </pre>,
      );
    } else if (line.trim() === '') flush();
    else if (/^[-*] /.test(line) && paragraph.length > 0 && !/^[-*] /.test(paragraph[0] ?? '')) {
      flush();
      paragraph.push(line);
    } else paragraph.push(line);
  }
  flush();
  return <div className="markdown">{blocks}</div>;
}
