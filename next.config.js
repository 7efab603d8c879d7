/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages stay out of the bundles; the UI reaches them through the socket.
  serverExternalPackages: ['sharedb', 'sharedb-mongo', 'better-sqlite3', 'mongodb'],
  poweredByHeader: false,
  reactStrictMode: true,
  // Campus deployments may have no egress: nothing is fetched at build or run time.
  images: { unoptimized: true },
  typescript: { tsconfigPath: './tsconfig.json' },
};

module.exports = nextConfig;
