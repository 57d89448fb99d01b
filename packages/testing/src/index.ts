export { fixtures, fixture, allFixtures } from "./fixtures.js";
export {
  signStatic,
  generateSecret,
  secretBytes,
  newMessageId,
  v1Signature,
  type SignStaticInput,
  type SignedDelivery,
} from "./sign-static.js";
