// Layer palette: a searchable list of items grouped by category; items are dragged onto the canvas.
import { useMemo, useState } from 'react';

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
}

/** MIME type of a palette item being dragged; the canvas reads the layer id from it. */
export const paletteDragType = 'application/x-netwright-layer';

function group(items: readonly PaletteItem[]): [string, PaletteItem[]][] {
  const groups = new Map<string, PaletteItem[]>();
  for (const item of items) {
    const list = groups.get(item.category) ?? [];
    list.push(item);
    groups.set(item.category, list);
  }
  return [...groups.entries()];
}

export function Palette({ items }: PaletteProps) {
  const [query, setQuery] = useState('');
  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q === '' ? items : items.filter((item) => item.title.toLowerCase().includes(q) || item.category.toLowerCase().includes(q));
  }, [items, query]);

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
            placeholder="Search layers"
            aria-label="Search layers"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          {visible.length === 0 && <p className="empty-state">No layer matches “{query}”</p>}
          {group(visible).map(([category, members]) => (
            <section key={category} className="palette-group" aria-label={category}>
              <h3 className="palette-group-title">{category}</h3>
              <ul className="palette-list">
                {members.map((item) => (
                  <li
                    key={item.id}
                    className="palette-item"
                    draggable
                    title={item.summary}
                    onDragStart={(event) => {
                      event.dataTransfer.setData(paletteDragType, item.id);
                      event.dataTransfer.effectAllowed = 'copy';
                    }}
                  >
                    {item.title}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </>
      )}
    </aside>
  );
}
