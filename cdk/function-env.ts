/** The function environment contract lives with the functions' runtime code; the stack sets it. */
export { FUNCTION_ENV, type RestoreTarget } from '../shared/runtime/function-env.ts';
