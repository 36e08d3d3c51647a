/**
 * Incremental splitter for a streamed JSON array (`[{…},\r\n{…}]`), which is how Gemini streams
 * `:streamGenerateContent` without `alt=sse`. Calls `onElement` with the text of each complete
 * top-level element as soon as its closing brace arrives. Strings (and braces inside them) and
 * chunk boundaries anywhere — inside a multi-byte character too — are handled.
 */
export function createJsonArraySplitter(onElement: (text: string) => void) {
  const decoder = new TextDecoder();
  // 0: before the array; 1: inside it, between elements; >1: inside an element.
  let depth = 0;
  let inString = false;
  let escaped = false;
  let partial = '';
  return {
    push(chunk: Buffer) {
      const s = decoder.decode(chunk, { stream: true });
      let start = depth > 1 ? 0 : -1;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
        } else if (c === 0x22) {
          inString = true;
        } else if (c === 0x7b || c === 0x5b) {
          if (++depth === 2) start = i;
        } else if (c === 0x7d || c === 0x5d) {
          if (--depth === 1 && start >= 0) {
            onElement(partial + s.slice(start, i + 1));
            partial = '';
            start = -1;
          }
          if (depth < 0) depth = 0;
        }
      }
      if (depth > 1 && start >= 0) partial += s.slice(start);
    },
  };
}
