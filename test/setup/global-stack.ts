// Placeholder until the stack manager lands: unit tests only.
export default async function setup(): Promise<void> {}
