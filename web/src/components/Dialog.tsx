import type { ReactNode } from 'react';
import * as RadixDialog from '@radix-ui/react-dialog';
import * as Alert from '@radix-ui/react-alert-dialog';

/** A modal dialog (Radix: focus trap, Escape, labelled by its title). */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  wide,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: string;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <RadixDialog.Root open={open} onOpenChange={onOpenChange}>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="overlay" />
        <RadixDialog.Content className={wide === true ? 'dialog dialog-wide' : 'dialog'} aria-describedby={description === undefined ? undefined : 'dialog-description'}>
          <RadixDialog.Title className="dialog-title">{title}</RadixDialog.Title>
          {description !== undefined && (
            <RadixDialog.Description id="dialog-description" className="muted">
              {description}
            </RadixDialog.Description>
          )}
          {children}
          <RadixDialog.Close className="dialog-close" aria-label="Close">
            ×
          </RadixDialog.Close>
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}

/** A confirmation for an action with consequences (Radix AlertDialog: Cancel has the focus first). */
export function Confirm({
  trigger,
  title,
  description,
  confirmLabel,
  onConfirm,
  danger,
  disabled,
}: {
  trigger: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  danger?: boolean;
  disabled?: boolean;
}) {
  return (
    <Alert.Root>
      <Alert.Trigger asChild>
        <button type="button" className={danger === true ? 'danger' : undefined} disabled={disabled}>
          {trigger}
        </button>
      </Alert.Trigger>
      <Alert.Portal>
        <Alert.Overlay className="overlay" />
        <Alert.Content className="dialog">
          <Alert.Title className="dialog-title">{title}</Alert.Title>
          <Alert.Description className="muted">{description}</Alert.Description>
          <div className="actions">
            <Alert.Cancel asChild>
              <button type="button">Cancel</button>
            </Alert.Cancel>
            <Alert.Action asChild>
              <button type="button" className={danger === true ? 'danger' : 'primary'} onClick={onConfirm}>
                {confirmLabel}
              </button>
            </Alert.Action>
          </div>
        </Alert.Content>
      </Alert.Portal>
    </Alert.Root>
  );
}
