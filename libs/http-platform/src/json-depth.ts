/** Deeper bodies are refused before parsing: recursive validators would overflow the stack. */
export const MAX_JSON_DEPTH = 32;

/** Whether the JSON text nests arrays/objects deeper than `max`, scanned without recursion. */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{' || char === '[') {
      if (++depth > max) return true;
    } else if (char === '}' || char === ']') {
      depth--;
    }
  }
  return false;
}
