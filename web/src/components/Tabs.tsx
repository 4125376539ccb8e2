import type { ReactNode } from 'react';
import * as RadixTabs from '@radix-ui/react-tabs';

/** Accessible tabs (Radix: arrow keys move between tabs, the panel is labelled by its tab). */
export function Tabs({ tabs, label }: { tabs: Array<{ id: string; title: string; content: ReactNode }>; label: string }) {
  return (
    <RadixTabs.Root defaultValue={tabs[0]?.id} className="tabs">
      <RadixTabs.List aria-label={label} className="tab-list">
        {tabs.map((t) => (
          <RadixTabs.Trigger key={t.id} value={t.id} className="tab">
            {t.title}
          </RadixTabs.Trigger>
        ))}
      </RadixTabs.List>
      {tabs.map((t) => (
        <RadixTabs.Content key={t.id} value={t.id} className="tab-panel">
          {t.content}
        </RadixTabs.Content>
      ))}
    </RadixTabs.Root>
  );
}
