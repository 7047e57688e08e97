// MCP Inspector's CLI speaking the 2025 era (initialize, then the call): see inspector-modern.mjs.
import { inspectorClient } from './inspector-modern.mjs';

export default inspectorClient('legacy');
