package vercelsim

// Request-body schemas of the marketplace endpoints, as Vercel's
// OpenAPI documents them. Every object is closed (additionalProperties:
// false) unless Vercel allows extra keys.

var period = object(map[string]prop{"start": req(dateTime), "end": req(dateTime)})

var billingItem = object(map[string]prop{
	"billingPlanId": req(str),
	"resourceId":    opt(str),
	"start":         opt(dateTime),
	"end":           opt(dateTime),
	"name":          req(str),
	"details":       opt(str),
	"price":         req(money),
	"quantity":      req(number),
	"units":         req(str),
	"total":         req(money),
})

var discount = object(map[string]prop{
	"billingPlanId": req(str),
	"resourceId":    opt(str),
	"start":         opt(dateTime),
	"end":           opt(dateTime),
	"name":          req(str),
	"details":       opt(str),
	"amount":        req(money),
})

var usage = object(map[string]prop{
	"resourceId":  opt(str),
	"name":        req(str),
	"type":        req(enum("total", "interval", "rate")),
	"units":       req(str),
	"dayValue":    req(number),
	"periodValue": req(number),
	"planValue":   opt(number),
})

var createEventBody = object(map[string]prop{
	"event": req(tagged("type", map[string]checker{
		"installation.updated": object(map[string]prop{"type": req(str), "billingPlanId": opt(str)}),
		"resource.updated":     object(map[string]prop{"type": req(str), "resourceId": req(str), "productId": opt(str)}),
	})),
})

var submitBillingDataBody = object(map[string]prop{
	"timestamp": req(dateTime),
	"eod":       req(dateTime),
	"period":    req(period),
	"billing": req(oneOf(
		arrayOf(billingItem),
		object(map[string]prop{"items": req(arrayOf(billingItem)), "discounts": opt(arrayOf(discount))}),
	)),
	"usage": req(arrayOf(usage)),
})

var submitInvoiceBody = object(map[string]prop{
	"externalId":  opt(str),
	"invoiceDate": req(dateTime),
	"memo":        opt(str),
	"period":      req(period),
	"items":       req(arrayOf(billingItem)),
	"discounts":   opt(arrayOf(discount)),
	"final":       opt(boolean),
	"test": opt(object(map[string]prop{
		"validate": opt(boolean),
		"result":   opt(enum("paid", "notpaid", "overdue")),
	})),
})

var updateInvoiceBody = object(map[string]prop{
	"action": req(enum("refund")),
	"reason": req(str),
	"total":  req(money),
})

var secret = object(map[string]prop{
	"name":   req(str),
	"value":  req(str),
	"prefix": opt(str),
	"environmentOverrides": opt(object(map[string]prop{
		"development": opt(str),
		"preview":     opt(str),
		"production":  opt(str),
	})),
})

var updateSecretsBody = object(map[string]prop{
	"secrets": req(arrayOf(secret)),
	"partial": opt(boolean),
})

var resourceStatus = enum("ready", "pending", "onboarding", "suspended", "resumed", "uninstalled", "error")

var notification = object(map[string]prop{
	"level":   req(enum("info", "warn", "error")),
	"title":   req(str),
	"message": opt(str),
	"href":    opt(httpURL(true)),
})

// vercelBillingPlan is the plan shape Vercel accepts in updateInstallation
// and importResource: a few known keys, extra keys allowed.
var vercelBillingPlan = openObject(map[string]prop{
	"id":                    req(str),
	"type":                  req(enum("prepayment", "subscription")),
	"name":                  req(str),
	"description":           opt(str),
	"paymentMethodRequired": opt(boolean),
	"cost":                  opt(str),
	"details":               opt(arrayOf(object(map[string]prop{"label": req(str), "value": opt(str)}))),
	"highlightedDetails":    opt(arrayOf(object(map[string]prop{"label": req(str), "value": opt(str)}))),
	"effectiveDate":         opt(dateTime),
})

var updateInstallationBody = object(map[string]prop{
	"status":       opt(resourceStatus),
	"externalId":   opt(str),
	"billingPlan":  opt(vercelBillingPlan),
	"notification": opt(nullable(notification)),
})

var prepaymentBalancesBody = object(map[string]prop{
	"timestamp": req(dateTime),
	"balances": req(arrayOf(object(map[string]prop{
		"resourceId":           opt(str),
		"credit":               opt(str),
		"nameLabel":            opt(str),
		"currencyValueInCents": req(number),
	}))),
})

var resourceMetadata = mapOf(oneOf(str, number, boolean, arrayOf(str), arrayOf(number)))

var importResourceBody = object(map[string]prop{
	"ownership":    opt(enum("owned", "linked", "sandbox")),
	"productId":    req(str),
	"name":         req(str),
	"status":       req(resourceStatus),
	"metadata":     opt(resourceMetadata),
	"billingPlan":  opt(vercelBillingPlan),
	"notification": opt(notification),
	"extras":       opt(mapOf(anyValue)),
	"secrets":      opt(arrayOf(secret)),
})

var updateResourceBody = object(map[string]prop{
	"ownership":    opt(enum("owned", "linked", "sandbox")),
	"name":         opt(str),
	"status":       opt(resourceStatus),
	"metadata":     opt(resourceMetadata),
	"billingPlan":  opt(vercelBillingPlan),
	"notification": opt(nullable(notification)),
	"extras":       opt(mapOf(anyValue)),
	"secrets":      opt(oneOf(arrayOf(secret), updateSecretsBody)),
})

var ssoTokenBody = object(map[string]prop{
	"code":          opt(str),
	"state":         opt(str),
	"client_id":     req(str),
	"client_secret": req(str),
	"redirect_uri":  opt(str),
	"grant_type":    opt(enum("authorization_code", "refresh_token")),
	"refresh_token": opt(str),
})

var rotateCredentialBody = object(map[string]prop{
	"client_secret": req(str),
	"client_id":     opt(str),
})

var revokeCredentialBody = object(map[string]prop{
	"token":         req(str),
	"client_secret": req(str),
	"client_id":     opt(str),
})

// The deployment integration's calls. A link is https or sso: (Vercel
// opens sso: links through Open in Provider).
var deploymentLink = httpURL(true)

var updateDeploymentActionBody = object(map[string]prop{
	"status":     opt(enum("running", "succeeded", "failed")),
	"statusText": opt(str),
	"statusUrl":  opt(oneOf(deploymentLink, ssoPath)),
	"outcomes": opt(arrayOf(object(map[string]prop{
		"kind":    req(enum("resource-secrets")),
		"secrets": req(arrayOf(object(map[string]prop{"name": req(str), "value": req(str)}))),
	}))),
})

var updateCheckRunBody = object(map[string]prop{
	"status":      req(enum("queued", "running", "completed")),
	"conclusion":  opt(enum("succeeded", "failed", "neutral", "skipped", "canceled", "timeout")),
	"externalId":  opt(str),
	"externalUrl": opt(oneOf(deploymentLink, ssoPath)),
	"output":      opt(mapOf(anyValue)),
})
