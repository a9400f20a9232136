import { Layer } from "effect"
import { AuthFlow } from "./authorization/AuthFlow.js"
import { Bindings } from "./customers/Bindings.js"
import { ChatbotMarks } from "./customers/ChatbotMarks.js"
import { PhoneLookup } from "./customers/PhoneLookup.js"
import { Deduper } from "./deduper/Deduper.js"
import { GreenSms } from "./greensms/GreenSms.js"
import { OrderLedger } from "./orders/OrderLedger.js"
import { OrdersFlow } from "./orders/OrdersFlow.js"
import { CodeDelivery } from "./otp/CodeDelivery.js"
import { OtpIssuer } from "./otp/OtpIssuer.js"
import { OtpSessions } from "./otp/OtpSessions.js"
import { OtpVerifier } from "./otp/OtpVerifier.js"
import { OwnerLocks } from "./otp/OwnerLocks.js"
import { SendLimits } from "./otp/SendLimits.js"
import { OfferCatalogue } from "./recommended/OfferCatalogue.js"
import { ProductResolver } from "./recommended/ProductResolver.js"
import { RecommendedFlow } from "./recommended/RecommendedFlow.js"
import { ReferenceData } from "./retailcrm/ReferenceData.js"
import { RetailCrm } from "./retailcrm/RetailCrm.js"

/** Upstream clients and storage: they need only the config, an HTTP client and the SQL client. */
const FoundationLive = Layer.mergeAll(
  RetailCrm.Default,
  GreenSms.Default,
  Deduper.Default,
  OtpSessions.Default,
  SendLimits.Default,
  ChatbotMarks.Default,
  OwnerLocks.Default,
  OrderLedger.Default,
  OfferCatalogue.Default
)

const BuildingBlocksLive = Layer.mergeAll(
  CodeDelivery.Default,
  Bindings.Default,
  PhoneLookup.Default,
  OtpVerifier.Default,
  ReferenceData.Default,
  ProductResolver.Default
)

/** Every service of the flows, wired together; needs `AppConfig`, an `HttpClient` and a `SqlClient`. */
export const ServicesLive = Layer.mergeAll(AuthFlow.Default, OrdersFlow.Default, RecommendedFlow.Default).pipe(
  Layer.provideMerge(OtpIssuer.Default),
  Layer.provideMerge(BuildingBlocksLive),
  Layer.provideMerge(FoundationLive)
)
