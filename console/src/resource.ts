import { onBeforeUnmount, onMounted, ref, shallowRef, watch, type Ref } from 'vue';
import { isUnauthorized } from './api';

export interface ResourceOptions {
  /** Re-load every `intervalMs` while `autoRefresh` is true (and the tab is visible). */
  intervalMs?: number;
  autoRefresh?: Ref<boolean>;
}

/**
 * Loads data on mount, tracks loading/error state and optionally polls.
 * Polls are chained (never overlapping) and stop when the component unmounts.
 */
export function useResource<T>(loader: () => Promise<T>, opts: ResourceOptions = {}) {
  const data = shallowRef<T | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  const updatedAt = ref<Date | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;

  function schedule(): void {
    clearTimeout(timer);
    if (!alive || !opts.intervalMs || (opts.autoRefresh && !opts.autoRefresh.value)) return;
    timer = setTimeout(() => {
      if (document.visibilityState === 'hidden') schedule();
      else void load();
    }, opts.intervalMs);
  }

  async function load(): Promise<void> {
    clearTimeout(timer);
    loading.value = true;
    try {
      const result = await loader();
      if (!alive) return;
      data.value = result;
      error.value = null;
      updatedAt.value = new Date();
    } catch (e) {
      if (!alive || isUnauthorized(e)) return; // App.vue switches to the login view
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
      schedule();
    }
  }

  onMounted(load);
  onBeforeUnmount(() => {
    alive = false;
    clearTimeout(timer);
  });
  if (opts.autoRefresh) watch(opts.autoRefresh, (on) => (on ? void load() : clearTimeout(timer)));

  return { data, error, loading, updatedAt, load };
}
