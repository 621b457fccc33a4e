/** Synthetic inputs for the PaddleOCR text-direction classifier. */
export { FONT_CHARACTERS, GLYPH_HEIGHT, GLYPH_WIDTH, glyphBitmap } from './bitmap-font';
export {
  LINE_HEIGHT,
  LINE_WIDTH,
  drawTextLine,
  preprocessTextLine,
  randomText,
  rotate180,
  syntheticTextLines,
  textLineBatch,
  type RgbImage,
  type TextLine,
} from './synthetic-lines';
export { RENDER_FONTS, renderedTextLines } from './rendered-lines';
