/** Stylesheets a page imports: esbuild bundles them to /console/assets/<slug>.css (src/console/bundles.ts). */
declare module '*.css';
