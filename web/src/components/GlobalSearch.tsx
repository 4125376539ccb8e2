import { useEffect, useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { api, ok } from '../api/client';

/** ICCID digits (19, or 20 with the Luhn digit). */
const ICCID = /^\d{19,20}$/;

/**
 * The header's search: an ICCID jumps straight to the SIM; any other text (label, IMSI, MSISDN,
 * IMEI, ICCID prefix) lists matches as you type, and Enter opens the only match or the filtered list.
 */
export function GlobalSearch() {
  const navigate = useNavigate();
  const listId = useId();
  const [text, setText] = useState('');
  const [debounced, setDebounced] = useState('');
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    const timer = setTimeout(() => setDebounced(text.trim()), 200);
    return () => clearTimeout(timer);
  }, [text]);

  const matches = useQuery({
    queryKey: ['sims', 'search', debounced],
    queryFn: () => ok(api.GET('/api/v1/sims', { params: { query: { q: debounced, page_size: 8 } } })),
    enabled: debounced.length >= 2,
    staleTime: 30_000,
  });
  const items = debounced.length >= 2 ? (matches.data?.items ?? []) : [];

  const go = (iccid: string) => {
    setOpen(false);
    setText('');
    void navigate({ to: '/sims/$iccid', params: { iccid } });
  };

  const submit = () => {
    const q = text.trim();
    if (q === '') return;
    const chosen = items[active];
    if (chosen !== undefined) return go(chosen.iccid);
    if (ICCID.test(q)) return go(q.length === 20 ? q.slice(0, 19) : q);
    if (items.length === 1 && items[0] !== undefined) return go(items[0].iccid);
    setOpen(false);
    void navigate({ to: '/sims', search: { q } });
  };

  return (
    <form
      role="search"
      className="global-search"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <input
        type="search"
        aria-label="Search"
        placeholder="Search ICCID or label"
        value={text}
        role="combobox"
        aria-expanded={open && items.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setActive(-1);
          setOpen(true);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(items.length - 1, a + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(-1, a - 1));
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      <ul id={listId} role="listbox" aria-label="Matching SIMs" className="search-results" hidden={!open || items.length === 0}>
        {items.map((sim, i) => (
          <li
            key={sim.iccid}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            onMouseDown={(e) => {
              e.preventDefault();
              go(sim.iccid);
            }}
          >
            <span className="mono">{sim.iccid}</span> {sim.label ?? ''}
          </li>
        ))}
      </ul>
    </form>
  );
}
