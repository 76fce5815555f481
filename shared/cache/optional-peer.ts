import { ConfigurationError } from '../errors.ts';

/**
 * Loads a cache client that is an optional peer dependency of mskguard. `load` must be a literal
 * `() => import('name')`, so bundlers see the import; it runs on first use, so a user who installed
 * only the other client never loads this one. A missing package becomes a ConfigurationError that
 * names the package to install.
 */
export async function importOptionalPeer<T>(
  pkg: string,
  adapter: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing =
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? (error as Error).message.includes(pkg)
        : false;
    if (!missing) throw error;
    throw new ConfigurationError(
      `${adapter} needs the '${pkg}' package, an optional peer dependency of mskguard that is not ` +
        `installed: run \`npm install ${pkg}\` in the project that deploys this function.`,
      { cause: error },
    );
  }
}
