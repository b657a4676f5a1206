export function buildPage(): Promise<{ html: string; js: string; css: string }>;
