@dataflow:crmoffice-to-business-central @checklist:companies-to-customers
Feature: CRMOffice companies are kept as Business Central customers
  Checklist section "CRMOffice Companies to Business Central Customers (classification data)":
  every CRMOffice company is synchronised with a Business Central customer. The section's property table is
  empty, so once a company and its customer are linked no property of either is written by the dataflow.

  Rule: every company has exactly one Business Central customer

    @rule:1 @severity:blocker
    Scenario: a new company becomes one customer, however often the sync runs
      Given a CRMOffice company
      When the sync has run 3 times
      Then Business Central holds exactly one company customer for it

    @rule:1 @severity:critical
    Scenario: every company of a busy day gets its own customer
      Given 20 CRMOffice companies
      When the sync runs
      And the sync runs again
      Then each of them has exactly one company customer in Business Central

    @rule:1 @severity:critical @cycles:4
    Scenario: a company edited long after it was linked still has one customer
      Given a company linked to a Business Central customer
      And 5 more companies have been linked since
      When a CRMOffice user gives the company a new organisation number
      And the sync runs
      Then Business Central holds exactly one company customer for it

  Rule: Business Central gets the name it requires when the customer is created, and only then

    @rule:2 @severity:critical
    Scenario: the new customer is a company named after the CRMOffice company
      Given a CRMOffice company
      When the sync runs
      Then its Business Central customer is a company whose display name is the company's name

    @rule:2 @rule:3 @severity:normal
    Scenario: renaming a linked company does not rename its customer
      Given a company linked to a Business Central customer
      When a CRMOffice user renames the company
      And the sync runs
      Then the Business Central customer keeps the name it was created with

  Rule: an empty property table means nothing is written once linked

    @rule:3 @rule:8 @severity:critical
    Scenario: a new organisation number in CRMOffice does not touch the customer
      Given a company linked to a Business Central customer
      When a CRMOffice user gives the company a new organisation number
      And the sync runs
      Then nothing has changed on the Business Central customer

    @rule:3 @rule:8 @severity:critical
    Scenario: a phone number given to the customer in Business Central does not touch the company
      Given a company linked to a Business Central customer
      When a Business Central user gives the customer a phone number
      And the sync runs
      Then nothing has changed on the CRMOffice company

  Rule: deletes do not propagate; a deleted customer comes back

    @rule:6 @severity:critical @cycles:12
    Scenario: a customer deleted by a Business Central user is created again
      Given a company linked to a Business Central customer
      When a Business Central user deletes the customer
      And the full sync runs
      Then Business Central holds exactly one company customer for it

    @rule:6 @severity:critical @cycles:12
    Scenario: a company deleted in CRMOffice leaves its customer alone
      Given a company linked to a Business Central customer
      When a CRMOffice user deletes the company
      And the full sync runs
      Then the Business Central customer is still there, unchanged
      And CRMOffice does not get the company back

  Rule: customers created in Business Central stay in Business Central

    @rule:7 @severity:critical @cycles:10
    Scenario: a customer created in Business Central is not copied to CRMOffice
      Given a company customer created by a Business Central user
      When the full sync runs
      Then CRMOffice has no company of that name
      And the Business Central customer is left as its user made it

  Rule: the sync's own writes never come back as edits

    @rule:8 @severity:critical
    Scenario: a second sync with no edits in between writes nothing to companies or customers
      Given 5 CRMOffice companies
      And the sync has run
      When the sync runs again
      Then the sync wrote nothing to either system
      And no CRMOffice company has been written to since its user created it
