import type { Registrar } from '../program.js';
import { registerIntegration } from './integration.js';

/** Commands beyond the core ones registered in program.ts. */
export const registerAll: Registrar[] = [registerIntegration];
