import { Hono } from 'hono';
import { APP_SCRIPT } from '../../ui/app-script.js';
import { APP_STYLES } from '../../ui/app-styles.js';

/** The script and stylesheet, from the bundle itself: nothing is read from disk, so the single executable has them. */
export function assetRoutes(): Hono {
  const routes = new Hono();
  routes.get('/app.js', (c) => c.body(APP_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  routes.get('/app.css', (c) => c.body(APP_STYLES, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  return routes;
}
