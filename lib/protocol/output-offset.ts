// Console output offsets as text, wherever they travel: the replayFrom query parameter, the
// 101's X-Console-Output-Offset header, and the in-band announcement (OUTPUT_OFFSET). No
// Node-only imports: the browser page uses it too.

/** The 101 response header that carries the output offset of a session's first byte. */
export const OUTPUT_OFFSET_HEADER = 'X-Console-Output-Offset';

/**
 * The offset `text` says, or undefined when it is not one: a non-negative integer of at most 15
 * digits, so that every offset is an exact number (below 2^53).
 */
export function parseOffsetText(text: string | string[] | null | undefined): number | undefined {
  return typeof text === 'string' && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}
