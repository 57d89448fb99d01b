/** @type {import('next').NextConfig} */
const nextConfig = {
  // The receivers answer JSON only; no pages, images or telemetry needed.
  poweredByHeader: false,
};

export default nextConfig;
