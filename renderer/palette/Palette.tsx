// Layer palette: the catalog grouped by category with search; drag an item onto the canvas, double-click or Enter adds it.
import { useMemo, useRef, useState, type KeyboardEvent } from 'react';

export interface PaletteItem {
  /** Stable layer id (the spec's `id`). */
  id: string;
  /** What the user sees, in PyTorch's vocabulary (e.g. `Conv2d`). */
  title: string;
  /** Palette group. */
  category: string;
  /** One line shown as the item's description. */
  summary?: string;
}

export interface PaletteProps {
  items: readonly PaletteItem[];
  /** Adds the layer at the centre of the canvas (double-click, Enter). */
  onAdd?: (id: string) => void;
}

/** MIME type of a palette item being dragged; the canvas reads the layer id from it. */
export const paletteDragType = 'application/x-netwright-layer';

const categoryTitles: Readonly<Record<string, string>> = {
  input: 'Inputs',
  linear: 'Linear',
  conv: 'Convolution',
  pool: 'Pooling',
  norm: 'Normalization',
  activation: 'Activations',
  dropout: 'Dropout',
  recurrent: 'Recurrent',
  embedding: 'Embedding',
  attention: 'Attention',
  shape: 'Shape',
  merge: 'Merge',
  loss: 'Losses',
};

export const categoryTitle = (category: string): string => categoryTitles[category] ?? category;

function group(items: readonly PaletteItem[]): [string, PaletteItem[]][] {
  const groups = new Map<string, PaletteItem[]>();
  for (const item of items) {
    const list = groups.get(item.category) ?? [];
    list.push(item);
    groups.set(item.category, list);
  }
  return [...groups.entries()];
}

/** Ranks matches: title prefix, then title substring, then id/summary/category substring. */
export function searchPalette(items: readonly PaletteItem[], query: string): PaletteItem[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...items];
  const scored: [number, PaletteItem][] = [];
  for (const item of items) {
    const title = item.title.toLowerCase();
    const score = title === q ? 0 : title.startsWith(q) ? 1 : title.includes(q) ? 2 : item.id.toLowerCase().includes(q) || categoryTitle(item.category).toLowerCase().includes(q) ? 3 : (item.summary ?? '').toLowerCase().includes(q) ? 4 : -1;
    if (score >= 0) scored.push([score, item]);
  }
  // Stable: within a score, catalog order.
  return scored.sort((a, b) => a[0] - b[0]).map(([, item]) => item);
}

export function Palette({ items, onAdd }: PaletteProps) {
  const [query, setQuery] = useState('');
  const listRef = useRef<HTMLDivElement>(null);
  const visible = useMemo(() => searchPalette(items, query), [items, query]);
  const searching = query.trim() !== '';

  const focusItem = (offset: number): void => {
    const buttons = [...(listRef.current?.querySelectorAll<HTMLButtonElement>('.palette-item') ?? [])];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, index + offset))];
    next?.focus();
  };

  const onSearchKey = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'Enter') {
      const first = visible[0];
      if (first !== undefined && onAdd !== undefined) {
        event.preventDefault();
        onAdd(first.id);
      }
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      listRef.current?.querySelector<HTMLButtonElement>('.palette-item')?.focus();
    } else if (event.key === 'Escape') {
      setQuery('');
    }
  };

  const onItemKey = (event: KeyboardEvent<HTMLButtonElement>, item: PaletteItem): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onAdd?.(item.id);
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      focusItem(1);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      focusItem(-1);
    }
  };

  // While searching, show matches in rank order under one heading; otherwise by category.
  const sections: [string, PaletteItem[]][] = searching ? [[`${visible.length} match${visible.length === 1 ? '' : 'es'}`, visible]] : group(visible).map(([category, members]) => [categoryTitle(category), members]);

  return (
    <aside className="palette" aria-label="Layer palette">
      <h2 className="panel-title">Layers</h2>
      {items.length === 0 ? (
        <p className="empty-state">No layers yet</p>
      ) : (
        <>
          <input
            className="palette-search"
            type="search"
            placeholder="Search layers (Enter adds)"
            aria-label="Search layers"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={onSearchKey}
          />
          {visible.length === 0 && <p className="empty-state">No layer matches “{query}”</p>}
          <div className="palette-scroll" ref={listRef}>
            {visible.length > 0 &&
              sections.map(([title, members]) => (
                <section key={title} className="palette-group" aria-label={title}>
                  <h3 className="palette-group-title">{title}</h3>
                  <ul className="palette-list">
                    {members.map((item) => (
                      <li key={item.id}>
                        <button
                          type="button"
                          className={`palette-item cat-${item.category}`}
                          draggable
                          aria-label={item.title}
                          aria-description={item.summary}
                          title={`${item.summary ?? item.title}\nDrag onto the canvas, or double-click / Enter to add`}
                          onDragStart={(event) => {
                            event.dataTransfer.setData(paletteDragType, item.id);
                            event.dataTransfer.effectAllowed = 'copy';
                          }}
                          onDoubleClick={() => onAdd?.(item.id)}
                          onKeyDown={(event) => onItemKey(event, item)}
                        >
                          <span className="palette-item-title">{item.title}</span>
                          {item.summary !== undefined && <span className="palette-item-summary">{item.summary}</span>}
                        </button>
                      </li>
                    ))}
                  </ul>
                </section>
              ))}
          </div>
        </>
      )}
    </aside>
  );
}
