import { ref } from 'vue';
import { errorText } from './forms';

/**
 * Row actions of the management pages (disable, delete, …): one at a time per row, the list
 * reloaded afterwards, and a notice shown only once the reloaded list shows the change (so a test,
 * or a person, never reads "deleted" above a row that is still there).
 */
export function useRowActions(reload: () => Promise<unknown>) {
  const notice = ref<string | null>(null);
  const actionError = ref<string | null>(null);
  /** The id of the row whose action is running. */
  const busy = ref<string | number | null>(null);

  function clear(): void {
    notice.value = null;
    actionError.value = null;
  }

  async function act(id: string | number, done: string, fn: () => Promise<unknown>): Promise<void> {
    busy.value = id;
    clear();
    let ok = false;
    try {
      await fn();
      ok = true;
    } catch (e) {
      actionError.value = errorText(e);
    }
    try {
      await reload();
    } finally {
      busy.value = null;
    }
    if (ok) notice.value = done;
  }

  return { notice, actionError, busy, act, clear };
}
