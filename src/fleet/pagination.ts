import { FleetError } from './errors.js';
import type { Page } from './types.js';

export interface PageRequest {
  page?: number;
  pageSize?: number;
}

export interface PageLimits {
  defaultSize: number;
  maxSize: number;
}

export interface PageWindow {
  page: number;
  pageSize: number;
  /** Index of the first item of the page, counted from the newest. */
  offset: number;
}

/** Checks the request against the limits and says which slice it means; bad values are errors that state the range. */
export function pageWindow(request: PageRequest, limits: PageLimits): PageWindow {
  const page = request.page ?? 1;
  const pageSize = request.pageSize ?? limits.defaultSize;
  if (!Number.isInteger(page) || page < 1) {
    throw new FleetError('invalid_argument', `Invalid page ${page}: pages are whole numbers starting at 1.`);
  }
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > limits.maxSize) {
    throw new FleetError(
      'invalid_argument',
      `Invalid page_size ${pageSize}: it must be a whole number from 1 to ${limits.maxSize}.`,
    );
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** Wraps one page of items (already newest first) with the counts a caller needs to move between pages. */
export function toPage<T>(items: T[], window: PageWindow, totalCount: number): Page<T> {
  return {
    items,
    page: window.page,
    page_size: window.pageSize,
    total_count: totalCount,
    has_next_page: window.offset + window.pageSize < totalCount,
    has_previous_page: window.page > 1,
  };
}
