export * from './types.js';
export * from './errors.js';
export { START, comparePositions, cursorToPosition, positionToCursor, maxPosition, InvalidCursorError } from './position.js';
